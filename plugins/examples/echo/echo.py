"""The smallest Lambda-style function: returns its event unchanged.

    statesman plugins check --exact -- python3 plugins/python/statesman_runner.py \
        --handler echo.handler --code plugins/examples/echo
"""


def handler(event, context):
    return event
