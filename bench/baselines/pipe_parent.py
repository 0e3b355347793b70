#!/usr/bin/env python3
"""The Python baseline parent for the plugin benchmarks: the same protocol as pipe_parent.c,
with selectors and subprocess pipes. Usage: pipe_parent.py ITEMS WORKERS DEPTH PROGRAM [ARG...]"""
import os
import selectors
import subprocess
import sys
import time

WELCOME = (
    b'{"type":"welcome","protocol":1,"function":{"name":"bench","version":"$LATEST","arn":"arn:aws:lambda:us-east-1:123456789012:function:bench",'
    b'"memoryLimitInMB":128,"timeoutMs":3000},"maxLineBytes":6291456}\n'
)


def invoke(number):
    return (
        '{"type":"invoke","id":"%d","payload":{"n":%d},"context":{"requestId":"00000000-0000-4000-8000-%012d","functionName":"bench",'
        '"functionVersion":"$LATEST","invokedFunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:bench","memoryLimitInMB":128,'
        '"timeoutMs":3000,"attempt":0}}\n' % (number, number, number)
    ).encode()


def main():
    items, workers, depth = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    command = sys.argv[4:]
    processes = [subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0) for _ in range(workers)]
    selector = selectors.DefaultSelector()
    state = {}
    for process in processes:
        selector.register(process.stdout, selectors.EVENT_READ, process)
        state[process] = {"buffer": b"", "ready": False, "in_flight": 0}
    sent = done = ready = 0
    start = 0.0
    while done < items:
        for key, _ in selector.select():
            process = key.data
            entry = state[process]
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                sys.exit("a worker ended")
            lines = (entry["buffer"] + chunk).split(b"\n")
            entry["buffer"] = lines.pop()
            out = []
            for _ in lines:
                if not entry["ready"]:
                    entry["ready"] = True
                    process.stdin.write(WELCOME)
                    ready += 1
                    if ready == workers:
                        start = time.perf_counter()
                        for other in processes:
                            batch = []
                            while state[other]["in_flight"] < depth and sent < items:
                                sent += 1
                                state[other]["in_flight"] += 1
                                batch.append(invoke(sent))
                            other.stdin.write(b"".join(batch))
                else:
                    entry["in_flight"] -= 1
                    done += 1
                    if sent < items:
                        sent += 1
                        entry["in_flight"] += 1
                        out.append(invoke(sent))
            if out:
                process.stdin.write(b"".join(out))
    seconds = time.perf_counter() - start
    for process in processes:
        process.stdin.close()
        process.wait()
    print("%d %.6f %.1f" % (items, seconds, items / seconds))


if __name__ == "__main__":
    main()
