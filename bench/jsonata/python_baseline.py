#!/usr/bin/env python3
"""The pure-Python jsonata-python package on the JSONata benchmark's workload: each expression
compiled once, then evaluated with $states bound, up to COUNT times or SECONDS seconds.
Prints one JSON line per expression: {"engine", "name", "evaluations", "seconds", "result"}."""
import importlib.metadata
import json
import sys
import time

import jsonata

workload = json.load(open(sys.argv[1]))
count = int(sys.argv[2])
budget = float(sys.argv[3])
version = importlib.metadata.version("jsonata-python")
for case in workload["expressions"]:
    expression = jsonata.Jsonata(case["expression"])
    frame = expression.create_frame()
    frame.bind("states", {"input": workload["input"]})
    result = expression.evaluate(None, frame)
    done = 0
    start = time.perf_counter()
    while done < count:
        expression.evaluate(None, frame)
        done += 1
        if done % 10 == 0 and time.perf_counter() - start > budget:
            break
    elapsed = time.perf_counter() - start
    print(json.dumps({"engine": f"jsonata-python {version}", "name": case["name"], "evaluations": done,
                      "seconds": elapsed, "result": result}), flush=True)
