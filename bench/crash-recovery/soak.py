#!/usr/bin/env python3
"""The crash-recovery soak: the crash test of the suite (CrashRecoveryTests) with many more
kills. A Standard execution runs a Distributed Map over N generated items (batches of 50
through a Python function, ResultWriter on); `statesman run` is killed with SIGKILL at random
points of its progress, `statesman resume` continues it each time, K times, then it runs to
its end. Checks that every item's result is in the result files exactly once, that the Map
Run's counts and child executions agree, that the history is whole, and that no worker or
temporary file is left behind.

    bench/crash-recovery/soak.py [--kills 50] [--items 100000] [--statesman PATH]
"""
import argparse
import glob
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:crash:soak"


def committed_items(database):
    """Items the Map Run has committed as succeeded (0 before it starts)."""
    if not os.path.exists(database):
        return 0
    try:
        connection = sqlite3.connect("file:%s?mode=ro" % database, uri=True, timeout=5)
        row = connection.execute("SELECT description FROM map_run WHERE execution_arn = ?", (EXECUTION,)).fetchone()
        connection.close()
    except sqlite3.Error:
        return 0
    return json.loads(row[0])["itemCounts"]["succeeded"] if row else 0


def recorded(database):
    """Whether the execution is in the store yet."""
    if not os.path.exists(database):
        return False
    try:
        connection = sqlite3.connect("file:%s?mode=ro" % database, uri=True, timeout=5)
        row = connection.execute("SELECT 1 FROM execution WHERE arn = ?", (EXECUTION,)).fetchone()
        connection.close()
    except sqlite3.Error:
        return False
    return row is not None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--statesman", default=os.path.join(ROOT, ".build/release/statesman"))
    arguments = parser.parse_args()
    work = tempfile.mkdtemp(prefix="statesman-soak-")
    store, state = os.path.join(work, "store"), os.path.join(work, "state")
    os.makedirs(os.path.join(store, "data"))
    os.makedirs(os.path.join(store, "results"))
    with open(os.path.join(store, "data", "items.jsonl"), "w") as items:
        for n in range(arguments.items):
            items.write(json.dumps({"id": n, "text": "item %d" % n}) + "\n")
    database = os.path.join(state, "statesman.db")
    run = [arguments.statesman, "run", os.path.join(HERE, "crash.asl.json"), "--functions", os.path.join(HERE, "functions.yaml"),
           "--store", store, "--state", state, "--name", "soak", "--json"]
    resume = [arguments.statesman, "resume", "soak", "--state", state, "--json"]
    # The first kill soon after the start; the others at random points of the committed progress
    # (up to 90% of it: a resume near the end may finish before its kill, a few batches later).
    thresholds = sorted(random.randint(arguments.items // 50, arguments.items * 9 // 10) for _ in range(arguments.kills - 1))
    kills, attempt, started = 0, 0, time.time()
    finished = None
    while finished is None:
        # Killed before it recorded the execution, it has nothing to resume: it starts again.
        process = subprocess.Popen(resume if recorded(database) else run, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        killed = False
        if attempt == 0:
            time.sleep(random.uniform(0.05, 0.4))
            killed = process.poll() is None
        elif attempt <= len(thresholds):
            while process.poll() is None:
                if committed_items(database) >= thresholds[attempt - 1]:
                    # A little later, at a point the poll does not decide. (Up to 150 ms, as it
                    # was, let resumes finish first once the workers were pipelined: 16 kills
                    # of 20 asked.)
                    time.sleep(random.uniform(0, 0.02))
                    killed = process.poll() is None
                    break
                time.sleep(0.02)
        if killed:
            process.send_signal(signal.SIGKILL)
            process.communicate()
            kills += 1
        else:
            stdout, stderr = process.communicate()
            finished = (process.returncode, stdout, stderr)
        attempt += 1
        if attempt > arguments.kills + 5:
            sys.exit("the execution did not finish after %d attempts" % attempt)
    elapsed = time.time() - started
    code, stdout, stderr = finished
    problems = []
    outcome = json.loads(stdout)
    if code != 0 or outcome.get("status") != "SUCCEEDED":
        sys.exit("the execution ended %s: %s" % (outcome.get("status"), stderr.decode()[-2000:]))

    results = os.path.join(store, "results")
    manifest = json.load(open(os.path.join(results, outcome["output"]["results"]["ResultWriterDetails"]["Key"])))
    seen = [0] * arguments.items
    for entry in manifest["ResultFiles"].get("SUCCEEDED", []):
        for record in json.load(open(os.path.join(results, entry["Key"]))):
            for n in json.loads(record["Output"])["ids"]:
                seen[n] += 1
    missing, repeated = seen.count(0), sum(1 for count in seen if count > 1)
    if missing or repeated:
        problems.append("%d items missing and %d repeated in the result files" % (missing, repeated))
    leftovers = os.listdir(os.path.join(results, ".statesman-tmp"))
    if leftovers:
        problems.append("%d temporary files left behind" % len(leftovers))

    connection = sqlite3.connect(database)
    arn, description = connection.execute("SELECT arn, description FROM map_run WHERE execution_arn = ?", (EXECUTION,)).fetchone()
    counts = json.loads(description)["itemCounts"]
    if counts["succeeded"] != arguments.items or counts["total"] != arguments.items or counts["resultsWritten"] != arguments.items:
        problems.append("Map Run counts disagree: %s" % counts)
    children = connection.execute(
        "SELECT count(*), count(DISTINCT name) FROM child_execution JOIN map_run_number ON number = map_run WHERE map_run_number.arn = ?", (arn,)).fetchone()
    if children[0] != arguments.items // 50 or children[1] != children[0]:
        problems.append("%d child executions (%d names), expected %d" % (children[0], children[1], arguments.items // 50))
    events = [json.loads(text) for (text,) in connection.execute("SELECT event FROM history_event WHERE execution_arn = ? ORDER BY id", (EXECUTION,))]
    if [event["id"] for event in events] != list(range(1, len(events) + 1)):
        problems.append("history ids are not 1..%d" % len(events))
    types = [event["type"] for event in events]
    entered = sum(1 for kind in types if kind.endswith("StateEntered"))
    exited = sum(1 for kind in types if kind.endswith("StateExited"))
    if entered != exited or types.count("ExecutionStarted") != 1 or types[-1] != "ExecutionSucceeded":
        problems.append("history not whole: %d entered, %d exited, ends with %s" % (entered, exited, types[-1]))
    workers = subprocess.run(["pgrep", "-f", os.path.join(HERE, "functions")], capture_output=True, text=True).stdout.split()
    if workers:
        problems.append("%d plugin workers still running" % len(workers))

    print("crash-recovery soak: %d items, %d kills, %d attempts, %.1f s; results %d, each item once: %s; Map Run %s; %d child executions; %d history events"
          % (arguments.items, kills, attempt, elapsed, sum(seen), "yes" if not (missing or repeated) else "NO", counts, children[0], len(events)))
    if kills < arguments.kills:
        problems.append("only %d kills (the execution finished first)" % kills)
    for problem in problems:
        print("PROBLEM: " + problem)
    subprocess.run(["rm", "-rf", work])
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
