#!/usr/bin/env python3
"""Validates every message of the protocol's example transcripts, and every JSON example in
README.md, against schema/plugin-protocol.schema.json. Exit status 1 on any problem.

Needs the `jsonschema` package (scripts/test installs it when missing)."""
import json
import pathlib
import re
import sys

import jsonschema

HERE = pathlib.Path(__file__).resolve().parent
STEP_KEYS = {"comment", "host", "plugin", "close", "exit"}


def main():
    schema = json.loads((HERE / "schema" / "plugin-protocol.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    host_only = {"$ref": "#/$defs/hostMessage", "$defs": schema["$defs"]}
    plugin_only = {"$ref": "#/$defs/pluginMessage", "$defs": schema["$defs"]}
    problems = []
    checked = 0
    for transcript in sorted((HERE / "transcripts").glob("*.jsonl")):
        for number, line in enumerate(transcript.read_text(encoding="utf-8").splitlines(), 1):
            place = "%s:%d" % (transcript.name, number)
            try:
                step = json.loads(line)
            except ValueError as problem:
                problems.append("%s: not JSON: %s" % (place, problem))
                continue
            if not isinstance(step, dict) or len(step) != 1 or not set(step) <= STEP_KEYS:
                problems.append("%s: a step has exactly one of %s" % (place, sorted(STEP_KEYS)))
                continue
            side, message = next(iter(step.items()))
            if side in ("host", "plugin"):
                known = message.get("type") in {"welcome", "invoke", "cancel", "shutdown", "hello", "result", "error", "heartbeat", "log"}
                if not known and side == "host":
                    continue  # an unknown type on purpose: receivers must ignore it
                for error in jsonschema.Draft202012Validator(host_only if side == "host" else plugin_only).iter_errors(message):
                    problems.append("%s: %s" % (place, error.message))
                checked += 1
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```json\n(.*?)\n```", readme, re.S):
        for error in validator.iter_errors(json.loads(block)):
            problems.append("README.md example %s: %s" % (block[:60], error.message))
        checked += 1
    for problem in problems:
        print(problem)
    print("protocol: %d messages checked against the schema, %d problems" % (checked, len(problems)))
    return 1 if problems or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
