#!/usr/bin/env python3
"""Plots the Distributed Map benchmark's scaling curve: items/s and peak RSS against the
number of items, one item per child and 100 per batch (log-log).

    plot.py RESULT_LINES OUT.png     (lines: `name items seconds rate rss_kb`)
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

series = {}
for line in open(sys.argv[1]):
    name, items, seconds, rate, rss = line.split()
    # (The `pipeline: 0` row is measured at one size only: a point, not a curve.)
    if name.startswith("statesman-") and rss != "-" and not name.endswith("pipeline-0"):
        series.setdefault(name[len("statesman-"):], []).append((int(items), float(rate), int(rss) / 1024))
figure, (speed, memory) = plt.subplots(1, 2, figsize=(11, 4.2))
for shape, points in sorted(series.items()):
    points.sort()
    label = {"per-item": "one item per child", "batched": "100 items per batch"}.get(shape, shape)
    speed.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    memory.plot([p[0] for p in points], [p[2] for p in points], marker="o", label=label)
for axis, title, unit in [(speed, "Throughput", "items/s"), (memory, "Peak RSS", "MB")]:
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("items")
    axis.set_ylabel(unit)
    axis.set_title(title)
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
figure.suptitle("Statesman Distributed Map: JSONL items through a trivial Python function, 2 workers, ResultWriter on")
figure.tight_layout()
figure.savefig(sys.argv[2], dpi=110)
print("wrote %s" % sys.argv[2])
