#!/usr/bin/env python3
"""Reads the JSON lines of the interpreter benchmark (Statesman and its peers) on standard input
and prints a Markdown table of transitions per second with Statesman's ratio to each peer."""
import json
import sys

rows = [json.loads(line) for line in sys.stdin if line.strip().startswith("{")]
workloads = ["pass-chain", "inline-map", "choice-loop"]
engines = [e for e in ["statesman", "moto", "localstack"] if any(r.get("engine") == e for r in rows)]
by = {(r.get("engine"), r.get("workload")): r for r in rows}


def cell(r):
    if r is None:
        return "–"
    if "error" in r:
        return "error"
    rate = f"{r['transitions_per_second']:,.0f}"
    return rate if r.get("status") == "SUCCEEDED" else f"≤ {rate} ({r.get('status')})"


# Without peers (--skip-peers) there are no ratio columns.
columns = [f"{e} transitions/s" for e in engines] + [f"Statesman / {e}" for e in engines[1:]]
print("| workload | " + " | ".join(columns) + " |")
print("| --- |" + " ---: |" * len(columns))
for w in workloads:
    ours = by.get(("statesman", w))
    ratios = []
    for e in engines[1:]:
        peer = by.get((e, w))
        if ours and peer and "error" not in peer and "error" not in ours:
            bound = "≥ " if peer.get("status") != "SUCCEEDED" else ""
            ratios.append(f"{bound}{ours['transitions_per_second'] / peer['transitions_per_second']:,.0f}×")
        else:
            ratios.append("–")
    print(f"| {w} | " + " | ".join([cell(by.get((e, w))) for e in engines] + ratios) + " |")
