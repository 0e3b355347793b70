#!/usr/bin/env python3
"""The minimal Python worker for the plugin benchmarks: the protocol and nothing else (no
Lambda context, no error handling). What a Python plugin costs at the least."""
import json
import sys

write = sys.stdout.buffer.write
flush = sys.stdout.buffer.flush
write(b'{"type":"hello","protocol":[1],"name":"minimal","concurrency":1}\n')
flush()
for line in sys.stdin.buffer:
    message = json.loads(line)
    kind = message.get("type")
    if kind == "invoke":
        write(b'{"type":"result","id":' + json.dumps(message["id"]).encode() + b',"payload":' + json.dumps(message["payload"]).encode() + b"}\n")
        flush()
    elif kind == "shutdown":
        break
