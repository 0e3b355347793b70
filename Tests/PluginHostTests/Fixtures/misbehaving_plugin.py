#!/usr/bin/env python3
"""A raw protocol plugin for the host's tests. How it starts comes from its arguments
(no-hello, ignore-term, concurrency=N, bad-version); what it does with each invocation from the
payload's "do": echo, crash, hang, garbage, broken-result,
result-with-second-id, oversize, midline, wrong-id, heartbeat-stall, slow, report-waiting."""
import json
import os
import select
import signal
import sys
import threading
import time

arguments = set(sys.argv[1:])
out = sys.stdout.buffer
lock = threading.Lock()


def send(message):
    with lock:
        out.write((json.dumps(message) + "\n").encode())
        out.flush()


if "ignore-term" in arguments:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if "no-hello" in arguments:
    time.sleep(3600)
concurrency = 1
for argument in arguments:
    if argument.startswith("concurrency="):
        concurrency = int(argument.split("=")[1])
send({"type": "hello", "protocol": [99] if "bad-version" in arguments else [1], "name": "misbehaving", "concurrency": concurrency, "extra": "ignored"})


def run(message):
    identifier = message["id"]
    payload = message.get("payload") or {}
    action = payload.get("do", "echo")
    if action == "crash":
        os._exit(3)
    elif action == "killed":
        # As the kernel's out-of-memory killer ends a process.
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "hang":
        time.sleep(3600)
    elif action == "garbage":
        with lock:
            out.write(b"this is not a protocol line\n")
            out.flush()
    elif action == "broken-result":
        with lock:
            out.write(b'{"type":"result","id":"' + identifier.encode() + b'","payload":{"a":]}\n')
            out.flush()
    elif action == "result-with-second-id":
        with lock:
            out.write(b'{"type":"result","id":"' + identifier.encode() + b'","payload":1,"id":"7"}\n')
            out.flush()
    elif action == "oversize":
        with lock:
            out.write(b'{"type":"result","id":"' + identifier.encode() + b'","payload":"' + b"x" * 7_000_000 + b'"}\n')
            out.flush()
    elif action == "midline":
        with lock:
            out.write(b'{"type":"result","id":"' + identifier.encode() + b'","payl')
            out.flush()
        os._exit(0)
    elif action == "wrong-id":
        send({"type": "result", "id": "no-such-id", "payload": 1})
    elif action == "heartbeat-stall":
        send({"type": "heartbeat", "id": identifier})
        time.sleep(3600)
    elif action == "report-waiting":
        # Whether another invocation already waited in the pipe when this one was read, after
        # `seconds` of work.
        time.sleep(payload.get("seconds", 0))
        send({"type": "result", "id": identifier, "payload": {"waiting": message["waiting"]}})
    elif action == "slow":
        # For `seconds`, or until the file `until` exists if that comes first.
        deadline = time.monotonic() + payload.get("seconds", 0.3)
        release = payload.get("until")
        while time.monotonic() < deadline and not (release and os.path.exists(release)):
            time.sleep(min(0.02, max(0, deadline - time.monotonic())))
        send({"type": "result", "id": identifier, "payload": {"pid": os.getpid(), "thread": threading.get_ident()}})
    else:
        send({"type": "result", "id": identifier, "payload": payload, "unknownField": True})


def lines():
    """stdin's lines, each with whether a further one was already waiting behind it."""
    pending = b""
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            return
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            yield line, b"\n" in pending or bool(select.select([0], [], [], 0)[0])


for line, waiting in lines():
    message = json.loads(line)
    message["waiting"] = waiting
    kind = message.get("type")
    if kind == "invoke":
        if concurrency > 1:
            threading.Thread(target=run, args=(message,), daemon=True).start()
        else:
            run(message)
    elif kind == "shutdown" and "ignore-term" not in arguments:
        break
if "ignore-term" in arguments:
    while True:
        time.sleep(3600)
