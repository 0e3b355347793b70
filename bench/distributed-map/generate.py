#!/usr/bin/env python3
"""Writes N JSONL items ({"n": i, "user": ..., "amount": ...}) to DIR/data/items.jsonl."""
import os
import sys

directory, count = sys.argv[1], int(sys.argv[2])
os.makedirs(os.path.join(directory, "data"), exist_ok=True)
with open(os.path.join(directory, "data", "items.jsonl"), "w") as out:
    chunk = []
    for index in range(count):
        chunk.append('{"n":%d,"user":"user%d","amount":%d.%02d}\n' % (index, index % 9973, index % 1000, index % 100))
        if len(chunk) == 10000:
            out.write("".join(chunk))
            chunk = []
    out.write("".join(chunk))
