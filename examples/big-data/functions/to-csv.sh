#!/bin/sh
# The big-data CSV step, a shell function: the merged totals arrive as JSON on stdin; it prints
# them as CSV text (a JSON string), which the next state stores with s3:putObject.
set -eu
python3 -c '
import csv, io, json, sys
merged = json.load(sys.stdin)
out = io.StringIO()
writer = csv.writer(out, lineterminator="\n")
writer.writerow(["key", "orders", "quantity", "amount"])
for total in merged["totals"]:
    writer.writerow([total["key"], total["orders"], total["quantity"], total["amount"]])
print(json.dumps(out.getvalue()))
'
