#!/usr/bin/env python3
"""Runs the interpreter workloads (bench/workloads.py) in moto's Step Functions parser, the ASL
interpreter moto executes state machines with when `execute_state_machine` is on, and prints
transitions per second per workload as JSON lines.
Usage: moto_interpreter.py [DATA_DIR] [REPEATS]"""
import time

import boto3
from moto import mock_aws

from peer_workloads import run_workloads, timeout_seconds

timeout = timeout_seconds()


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


run_workloads("moto", run_once)
