#!/usr/bin/env python3
"""Runs the interpreter workloads (bench/workloads.py) in moto's Step Functions parser, the ASL
interpreter moto executes state machines with when `execute_state_machine` is on, and prints
transitions per second per workload as JSON lines (the median of the repetitions).

An execution still running after BENCH_PEER_TIMEOUT seconds (default 120) is reported with
status RUNNING; its rate is then an upper bound."""
import json
import os
import statistics
import sys
import time

import boto3
from moto import mock_aws

data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data")
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
timeout = float(os.environ.get("BENCH_PEER_TIMEOUT", "120"))


def run_once(name, definition, execution_input, index):
    # A fresh mock per run: moto deep-copies the state machine with its past executions.
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client = boto3.client("stepfunctions", region_name="us-east-1")
        arn = client.create_state_machine(
            name=f"{name}-{index}", definition=definition, roleArn="arn:aws:iam::123456789012:role/bench"
        )["stateMachineArn"]
        start = time.perf_counter()
        execution = client.start_execution(stateMachineArn=arn, input=execution_input)["executionArn"]
        while True:
            status = client.describe_execution(executionArn=execution)["status"]
            if status != "RUNNING" or time.perf_counter() - start > timeout:
                return time.perf_counter() - start, status
            time.sleep(0.001)


for name in ("pass-chain", "inline-map", "choice-loop"):
    base = os.path.join(data, name)
    definition = open(base + ".asl.json").read()
    execution_input = open(base + ".input.json").read()
    transitions = int(open(base + ".transitions").read())
    runs = [run_once(name, definition, execution_input, i) for i in range(repeats)]
    median = statistics.median(seconds for seconds, _ in runs)
    print(json.dumps({"engine": "moto", "workload": name, "status": runs[-1][1], "transitions": transitions,
                      "seconds": median, "transitions_per_second": transitions / median}), flush=True)

# Executions that timed out still run in moto's threads: do not wait for them.
os._exit(0)
