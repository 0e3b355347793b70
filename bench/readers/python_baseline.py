#!/usr/bin/env python3
"""The reader benchmark's baselines: Python's json.loads per line, csv.reader, and pyarrow's
Parquet reader turning rows into dicts (in bench/.venv). Prints `name bytes items seconds MB/s`
(best of REPEAT).

    python_baseline.py FILE jsonl|csv|parquet [REPEAT]
"""
import csv
import json
import os
import sys
import time

path, kind = sys.argv[1], sys.argv[2]
repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 3
size = os.path.getsize(path)
best = float("inf")
count = 0
for _ in range(repeat):
    start = time.perf_counter()
    count = 0
    if kind == "jsonl":
        with open(path, "rb") as source:
            for line in source:
                if line.strip():
                    json.loads(line)
                    count += 1
    elif kind == "parquet":
        import pyarrow.parquet

        for batch in pyarrow.parquet.ParquetFile(path).iter_batches():
            count += len(batch.to_pylist())
    else:
        with open(path, newline="") as source:
            rows = csv.reader(source)
            next(rows, None)  # the header row
            for _ in rows:
                count += 1
    best = min(best, time.perf_counter() - start)
names = {"jsonl": "python-json.loads", "csv": "python-csv.reader", "parquet": "pyarrow-to_pylist"}
print("%s %d %d %.6f %.1f" % (names[kind], size, count, best, size / 1e6 / best))
