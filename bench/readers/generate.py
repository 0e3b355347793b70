#!/usr/bin/env python3
"""Writes the reader benchmark's data: about MB megabytes of JSONL and the same rows as CSV
(deterministic; records like web-log events, with quoted CSV fields where needed).

    generate.py DIR MB   → DIR/data/events.jsonl, DIR/data/events.csv
"""
import csv
import json
import os
import random
import sys

directory, megabytes = sys.argv[1], int(sys.argv[2])
os.makedirs(os.path.join(directory, "data"), exist_ok=True)
rng = random.Random(7)
agents = ["Mozilla/5.0 (X11; Linux x86_64)", "curl/8.5.0", "sqlmap/1.7", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) \"quoted\""]
paths = ["/login", "/api/orders?id=42", "/search?q=a,b", "/admin' OR '1'='1", "/static/app.js"]
target = megabytes * 1_000_000
with open(os.path.join(directory, "data", "events.jsonl"), "w") as jsonl, open(os.path.join(directory, "data", "events.csv"), "w", newline="") as rows:
    writer = csv.writer(rows)
    fields = ["id", "time", "ip", "user", "method", "path", "status", "bytes", "agent"]
    writer.writerow(fields)
    written = 0
    index = 0
    while written < target:
        record = {
            "id": index, "time": "2026-11-%02dT%02d:%02d:%02dZ" % (1 + index % 28, index % 24, index % 60, (index * 7) % 60),
            "ip": "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(256)), "user": "user%d" % rng.randrange(5000),
            "method": rng.choice(["GET", "POST"]), "path": rng.choice(paths), "status": rng.choice([200, 200, 200, 302, 401, 404, 500]),
            "bytes": rng.randrange(100000), "agent": rng.choice(agents),
        }
        line = json.dumps(record, separators=(",", ":")) + "\n"
        jsonl.write(line)
        writer.writerow([record[name] for name in fields])
        written += len(line)
        index += 1
