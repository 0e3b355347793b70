"""The trivial handler every plugin benchmark runs: returns its event."""


def handler(event, context):
    return event
