#!/usr/bin/env python3
"""Runs the interpreter workloads (bench/workloads.py) in localstack-core's Step Functions
interpreter, in-process (no LocalStack server), and prints transitions per second per workload
as JSON lines. Needs localstack-core (bench/run installs it into bench/.venv).
Usage: localstack_interpreter.py [DATA_DIR] [REPEATS]"""
import datetime
import json
import logging
import time

from localstack.aws.api.stepfunctions import ExecutionStatus, StateMachineType
from localstack.services.stepfunctions.backend.execution import Execution
from localstack.services.stepfunctions.backend.state_machine import StateMachineRevision

from peer_workloads import run_workloads, timeout_seconds

# LocalStack logs every status change it cannot send to EventBridge (there is no server).
logging.disable(logging.CRITICAL)
timeout = timeout_seconds()
account, region = "123456789012", "us-east-1"
role = f"arn:aws:iam::{account}:role/bench"


def run_once(name, definition, execution_input, index):
    arn = f"arn:aws:states:{region}:{account}:stateMachine:{name}-{index}"
    machine = StateMachineRevision(
        name=f"{name}-{index}", arn=arn, definition=definition, role_arn=role,
        logging_config={"level": "OFF", "includeExecutionData": False}, cloud_watch_logging_configuration=None,
        sm_type=StateMachineType.STANDARD,
    )
    start = time.perf_counter()
    execution = Execution(
        name=f"run-{index}", sm_type=StateMachineType.STANDARD, role_arn=role,
        exec_arn=f"arn:aws:states:{region}:{account}:execution:{name}-{index}:run-{index}",
        account_id=account, region_name=region, state_machine=machine,
        start_date=datetime.datetime.now(tz=datetime.timezone.utc), cloud_watch_logging_session=None,
        activity_store={}, input_data=json.loads(execution_input),
    )
    execution.start()
    while execution.exec_status == ExecutionStatus.RUNNING and time.perf_counter() - start < timeout:
        time.sleep(0.001)
    return time.perf_counter() - start, str(execution.exec_status)


run_workloads("localstack", run_once)
