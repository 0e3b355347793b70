"""Lambda-style handlers for the host's tests, run by plugins/python/statesman_runner.py."""
import decimal
import os
import sys
import time
import weakref


class CustomException(Exception):
    pass


def echo(event, context):
    return event


def identity_with_context(event, context):
    return {
        "event": event,
        "function_name": context.function_name,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "aws_request_id": context.aws_request_id,
        "remaining_positive": context.get_remaining_time_in_millis() > 0,
        "state": context.statesman["state"],
        "attempt": context.statesman["attempt"],
        "region": os.environ.get("AWS_REGION"),
    }


def raise_exception(event, context):
    raise Exception("Some exception was raised.")


def raise_custom_exception(event, context):
    raise CustomException()


def nap(event, context):
    time.sleep(event.get("seconds", 0.3))
    return "rested"


def hang(event, context):
    time.sleep(3600)


def flood_stderr(event, context):
    for number in range(event.get("lines", 5000)):
        sys.stderr.write("log line %d\n" % number)
    print("printed, not a protocol line")
    return {"done": True}


def heartbeat_then_stall(event, context):
    context.send_heartbeat()
    time.sleep(event.get("stall", 3600))
    return "late"


def heartbeats(event, context):
    for _ in range(event.get("beats", 4)):
        context.send_heartbeat()
        time.sleep(event.get("every", 0.3))
    return "kept alive"


def long_answer_beside_heartbeats(event, context):
    """Returns event["length"] characters while a thread of its own sends heartbeats, for a
    while after it has returned: while the runner writes the answer."""
    import threading

    def beat():
        for _ in range(event.get("beats", 200)):
            context.send_heartbeat()

    threading.Thread(target=beat).start()
    return "a" * event["length"]


def return_bytes_str(event, context):
    return b'"HelloWorld!"'


def large_output_string(event, context):
    return "a" * 263168


def read_stdin(event, context):
    """Reads standard input itself and through a child process, as careless code might."""
    import subprocess

    child = subprocess.run(["cat"], stdout=subprocess.PIPE, timeout=5).stdout.decode()
    return {"n": event["n"], "read": sys.stdin.read(), "child": child}


def sized_string(event, context):
    """A string of event["length"] characters ("é" ones, two bytes each, when event["wide"])."""
    return ("é" if event.get("wide") else "a") * event["length"]


class Tracked(dict):
    """A dict a weak reference can follow."""


unmarshalled = []


def not_serialisable(event, context):
    """A result JSON cannot hold, chosen by the event's `kind`; `fine`: a fresh nested value;
    `kept`: how many of the `nested set` results are still alive."""
    kind = event.get("kind", "set")
    if kind == "set":
        return {1, 2, 3}
    if kind == "nested set":
        result = Tracked(items=[{"ok": 1}, {1, 2, 3}])
        unmarshalled.append(weakref.ref(result))
        return result
    if kind == "kept":
        return sum(1 for reference in unmarshalled if reference() is not None)
    if kind == "circular":
        loop = {"items": []}
        loop["items"].append(loop)
        return loop
    if kind == "nan":
        return [float("nan")]
    if kind == "deep":
        deep = []
        for _ in range(5000):
            deep = [deep]
        return deep
    return {"items": [{"n": event.get("n")}]}


def decimals(event, context):
    """Numbers as boto3 reads them from DynamoDB; `kind` picks a NaN or an infinite one."""
    kind = event.get("kind")
    if kind == "nan":
        return {"x": decimal.Decimal("NaN")}
    if kind == "infinite":
        return [decimal.Decimal("-Infinity")]
    number = decimal.Decimal
    return {"price": number("1.10"), "big": number("12345678901234567890.5"), "small": number("1E-7"),
            "items": [number("2"), (number("-0"), "\u0000statesman-decimal-0")]}


def echo_function(event, context):
    return {"Return": "HelloWorld"}


# The sandbox's tests: each tries something the sandbox must stop, and reports what happened.
def connect_local(event, context):
    import socket

    connection = socket.create_connection(("127.0.0.1", event["port"]), timeout=2)
    connection.close()
    return "connected"


def write_outside(event, context):
    with open(event["path"], "w") as handle:
        handle.write("escaped")
    return "written"


def write_scratch(event, context):
    with open("scratch-file.txt", "w") as handle:
        handle.write("inside")
    return {"cwd": os.getcwd(), "tmpdir": os.environ.get("TMPDIR")}


def open_files(event, context):
    """What each open descriptor of this process refers to."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            found.append(os.readlink("/proc/self/fd/" + name))
        except OSError:
            pass  # the listing's own descriptor, closed by now
    return found


def read_variable(event, context):
    return os.environ.get(event["name"])


def lambda_variables(event, context):
    names = ["AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_REGION",
             "AWS_DEFAULT_REGION", "LAMBDA_TASK_ROOT", "AWS_LAMBDA_LOG_GROUP_NAME", "TZ", "_HANDLER"]
    return {name: os.environ.get(name) for name in names}


def fork_many(event, context):
    import subprocess

    started = []
    try:
        for _ in range(event.get("count", 1000)):
            started.append(subprocess.Popen(["sleep", "5"]))
    finally:
        for child in started:
            child.kill()
            child.wait()
    return len(started)


def allocate(event, context):
    block = bytearray(event["megabytes"] * 1024 * 1024)
    return len(block)


def context_extras(event, context):
    """The rest of Lambda's context object, as a function might touch it."""
    context.log("logged through the context\n")
    identity = context.identity
    return {"identity": [identity.cognito_identity_id, identity.cognito_identity_pool_id], "tenant": context.tenant_id,
            "w3c": context.w3c(), "client": context.client_context, "memory": context.memory_limit_in_mb,
            "version": context.function_version, "group": context.log_group_name}


def logs(event, context):
    """Logs as Lambda functions do, through the root logger."""
    import logging

    logging.warning("before the level is set")
    logging.info("not shown: the root logger starts at WARNING")
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("app").info("counted %d words", 3)
    return None


def context_fields(event, context):
    return {"request": context.aws_request_id, "function": context.function_name, "state": context.statesman["state"]}
