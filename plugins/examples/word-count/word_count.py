"""An example Lambda-style function: counts words in the text it is given.

The same file deploys unchanged to AWS Lambda (handler `word_count.handler`).
"""
import collections
import re


class EmptyTextError(Exception):
    """Raised for an event without text: becomes the ASL error name EmptyTextError."""


def handler(event, context):
    text = event.get("text", "") if isinstance(event, dict) else ""
    if not text.strip():
        raise EmptyTextError("the event has no text to count")
    words = re.findall(r"[a-z']+", text.lower())
    print("counting %d words for request %s" % (len(words), context.aws_request_id))  # goes to the log
    top = collections.Counter(words).most_common(event.get("top", 3))
    return {"words": len(words), "top": [{"word": word, "count": count} for word, count in top]}
