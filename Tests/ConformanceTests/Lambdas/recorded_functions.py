"""Stand-ins for the Lambda functions of the AWS-recorded corpus, written from each case's
description in its "lambdas" map, run as real plugins by plugins/python/statesman_runner.py."""


class CustomException(Exception):
    pass


def id_function(event, context):
    return event


def raise_exception(event, context):
    raise Exception("Some exception was raised.")


def raise_custom_exception(event, context):
    raise CustomException()


def large_output_string(event, context):
    return ("a" * 263168).encode("utf-8")


def return_bytes_str(event, context):
    return b'"HelloWorld!"'


def echo_function(event, context):
    return {"Return": "HelloWorld"}


echo_function_2 = echo_function
