#!/usr/bin/env python3
"""Prints the Distributed Map benchmark's table and ratios from its result lines
(`name items seconds rate rss_kb`)."""
import sys

rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
largest = sys.argv[2]
print("Distributed Map benchmark: JSONL items through the trivial Python function, 2 workers, ResultWriter on")
print()
print("| configuration | items | s | items/s | peak RSS MB |")
print("|---|---:|---:|---:|---:|")
rates = {}
for name, items, seconds, rate, rss in rows:
    rates[(name, items)] = float(rate)
    shown = "%.0f" % (int(rss) / 1024) if rss != "-" else "–"
    print("| %s | %s | %.2f | %.0f | %s |" % (name, items, float(seconds), float(rate), shown))
print()
print("Ratios (at %s items):" % largest)
c_parent = rates.get(("C-parent+minimal-Python,1-in-flight", largest))
before = rates.get(("C-parent+minimal-Python,1-in-flight,before", largest))
if c_parent and before:
    print("- C parent + minimal Python, 1 in flight, before and after Statesman's runs: %.0f and %.0f items/s (the ratios use the mean)"
          % (before, c_parent))
    c_parent = (c_parent + before) / 2
xargs = next((rate for (name, _), rate in rates.items() if name.startswith("process-per-item")), None)
per_item = rates.get(("statesman-per-item", largest))
batched = rates.get(("statesman-batched", largest))
if per_item and c_parent:
    print("- one item per child / C parent + minimal Python, 1 in flight (goal >= 0.6): %.2fx" % (per_item / c_parent))
runner = rates.get(("C-parent+Lambda-runner,1-in-flight", largest))
if per_item and runner:
    # The same workers Statesman runs: since the runner's hot path was reworked, the faster.
    print("- one item per child / C parent + Lambda runner, 1 in flight: %.2fx" % (per_item / runner))
unpipelined = rates.get(("statesman-per-item-pipeline-0", largest))
if unpipelined and c_parent:
    print("- one item per child with the function's pipeline: 0 (each worker waits for the engine"
          " between invocations) / the same baseline: %.2fx" % (unpipelined / c_parent))
if per_item and xargs:
    print("- one item per child / process per item: %.0fx" % (per_item / xargs))
if batched:
    print("- 100 items per batch: %.0f items/s (goal >= 1,000,000/s)" % batched)
ceiling = rates.get(("C-parent+Lambda-runner,100-item-batches,16-pipelined", largest))
if batched and ceiling:
    print("- 100 items per batch / C parent sending the same batches to the same handler, 16 pipelined"
          " (what the Python workers can take on this machine): %.2fx (%.0f items/s)" % (batched / ceiling, ceiling))
for name, items, seconds, rate, rss in rows:
    if name == "statesman-batched" and items == "10000000":
        print("- 10,000,000 items batched: peak RSS %.0f MB (goal < 300 MB)" % (int(rss) / 1024))
