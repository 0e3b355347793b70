#!/usr/bin/env python3
"""Reads the JSONata benchmark's JSON lines (Statesman's and jsonata-python's, several rounds)
and prints the best evaluations per second of each engine for each expression, the ratio, and
whether both computed the same."""
import json
import sys

rows = {}
engines = []
for line in sys.stdin:
    line = line.strip()
    if not line.startswith("{"):
        continue
    r = json.loads(line)
    if r["engine"] not in engines:
        engines.append(r["engine"])
    rate = r["evaluations"] / r["seconds"]
    best = rows.setdefault(r["name"], {}).get(r["engine"])
    if best is None or rate > best["evaluations"] / best["seconds"]:
        rows[r["name"]][r["engine"]] = r

ours = next(e for e in engines if e.startswith("statesman"))
theirs = [e for e in engines if e != ours]
print(f"| expression | {ours} (evals/s) | " + " | ".join(f"{t} (evals/s)" for t in theirs) + " | ratio | same result |")
print("|---|---:|" + "---:|" * len(theirs) + "---:|---|")
ratios = []
for name, by in rows.items():
    mine = by[ours]["evaluations"] / by[ours]["seconds"]
    cells = []
    ratio = ""
    same = ""
    for t in theirs:
        if t in by:
            other = by[t]["evaluations"] / by[t]["seconds"]
            cells.append(f"{other:,.0f}")
            ratio = f"{mine / other:,.0f}x"
            ratios.append(mine / other)
            same = "yes" if by[t]["result"] == by[ours]["result"] else "NO"
        else:
            cells.append("-")
    print(f"| {name} | {mine:,.0f} | " + " | ".join(cells) + f" | {ratio} | {same} |")
if ratios:
    product = 1.0
    for r in ratios:
        product *= r
    print(f"\nGeometric mean ratio: {product ** (1 / len(ratios)):,.0f}x (goal: at least 50x); lowest: {min(ratios):,.0f}x")
