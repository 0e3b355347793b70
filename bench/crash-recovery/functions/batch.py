"""Echoes the ids of a batch of items, after a short pause that stands for real work."""

import time


def handler(event, context):
    time.sleep(0.002)
    return {"ids": [item["id"] for item in event["Items"]]}
