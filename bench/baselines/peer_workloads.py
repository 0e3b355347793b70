"""The loop both peer baselines share: run each workload of bench/workloads.py with a
`run_once(name, definition, execution_input, index) -> (seconds, status)` and print one JSON
line per workload with the median rate."""
import json
import os
import statistics
import sys

WORKLOADS = ("pass-chain", "inline-map", "choice-loop")


def run_workloads(engine, run_once):
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data")
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    for name in WORKLOADS:
        base = os.path.join(data, name)
        definition = open(base + ".asl.json").read()
        execution_input = open(base + ".input.json").read()
        transitions = int(open(base + ".transitions").read())
        runs = [run_once(name, definition, execution_input, i) for i in range(repeats)]
        median = statistics.median(seconds for seconds, _ in runs)
        print(json.dumps({"engine": engine, "workload": name, "status": runs[-1][1], "transitions": transitions,
                          "seconds": median, "transitions_per_second": transitions / median}), flush=True)
    # Executions that timed out still run in the peer's threads: do not wait for them.
    os._exit(0)


def timeout_seconds():
    """An execution still running after BENCH_PEER_TIMEOUT seconds (default 120) is reported
    with status RUNNING; its rate is then an upper bound."""
    return float(os.environ.get("BENCH_PEER_TIMEOUT", "120"))
