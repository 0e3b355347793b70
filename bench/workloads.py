#!/usr/bin/env python3
"""Writes the interpreter benchmark's workloads into bench/data/: for each, an ASL definition,
its input, and the number of state transitions one execution makes."""
import json
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "data")
os.makedirs(out, exist_ok=True)


def write(name, definition, execution_input, transitions):
    with open(os.path.join(out, f"{name}.asl.json"), "w") as f:
        json.dump(definition, f)
    with open(os.path.join(out, f"{name}.input.json"), "w") as f:
        json.dump(execution_input, f)
    with open(os.path.join(out, f"{name}.transitions"), "w") as f:
        f.write(str(transitions))


# A chain of 1,000 Pass states with small Parameters and ResultPath.
chain = {}
for i in range(1000):
    state = {"Type": "Pass", "Parameters": {"step": i, "prev.$": "$.value"}, "ResultPath": "$.last"}
    state.update({"Next": f"S{i + 1}"} if i < 999 else {"End": True})
    chain[f"S{i}"] = state
write("pass-chain", {"StartAt": "S0", "States": chain}, {"value": 1}, 1000)

# An inline Map over 10,000 items with a Pass iterator that reshapes each item.
write(
    "inline-map",
    {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Reshape",
                    "States": {
                        "Reshape": {
                            "Type": "Pass",
                            "Parameters": {"d.$": "States.MathAdd($.n, $.n)"},
                            "End": True,
                        }
                    },
                },
                "End": True,
            }
        },
    },
    {"items": [{"n": i} for i in range(10000)]},
    10001,
)

# A Choice loop counting to 5,000 with States.MathAdd.
write(
    "choice-loop",
    {
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.count", "NumericLessThan": 5000, "Next": "Increment"}], "Default": "Done"},
            "Increment": {"Type": "Pass", "Parameters": {"count.$": "States.MathAdd($.count, 1)"}, "Next": "Check"},
            "Done": {"Type": "Succeed"},
        },
    },
    {"count": 0},
    10002,
)
print(out)
