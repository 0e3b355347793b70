#!/usr/bin/env bash
# The item-reader benchmark: a generated JSONL object and the same rows as CSV, parsed into
# items by the Distributed Map's readers (through the local directory store, streamed; with
# the parsing threads this machine gets, and on one thread), side by side with Python's json.loads per line and csv.reader in one run. Prints MB/s and ratios.
#   bench/readers/run.sh [MB]      (default 200: the JSONL object's size; the CSV is smaller)
set -euo pipefail
cd "$(dirname "$0")/../.."
mb=${1:-200}
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
python3 bench/readers/generate.py "$data" "$mb"
bench=.build/release/statesman-bench
results=$(mktemp)
"$bench" readers --store "$data" --key events.jsonl --format JSONL --repeat 3 | sed 's/^JSONL/statesman-JSONL/' | tee -a "$results" >&2
# The same reader on the caller's thread alone (objects up to 512 KiB are read that way).
STATESMAN_READER_THREADS=0 "$bench" readers --store "$data" --key events.jsonl --format JSONL --repeat 3 | sed 's/^JSONL/statesman-JSONL-1-thread/' | tee -a "$results" >&2
python3 bench/readers/python_baseline.py "$data/data/events.jsonl" jsonl 3 | tee -a "$results" >&2
"$bench" readers --store "$data" --key events.csv --format CSV --repeat 3 | sed 's/^CSV/statesman-CSV/' | tee -a "$results" >&2
STATESMAN_READER_THREADS=0 "$bench" readers --store "$data" --key events.csv --format CSV --repeat 3 | sed 's/^CSV/statesman-CSV-1-thread/' | tee -a "$results" >&2
python3 bench/readers/python_baseline.py "$data/data/events.csv" csv 3 | tee -a "$results" >&2
# Parquet: the same rows as pyarrow writes them by default (Snappy, dictionaries), against
# pyarrow reading them into Python dicts (pyarrow in bench/.venv).
if [ ! -x bench/.venv/bin/python ]; then python3 -m venv bench/.venv; fi
bench/.venv/bin/python -c "import pyarrow" 2>/dev/null || bench/.venv/bin/pip install -q pyarrow
bench/.venv/bin/python -c "
import pyarrow.csv, pyarrow.parquet
table = pyarrow.csv.read_csv('$data/data/events.csv')
pyarrow.parquet.write_table(table, '$data/data/events.parquet')
"
"$bench" readers --store "$data" --key events.parquet --format PARQUET --repeat 3 | sed 's/^PARQUET/statesman-Parquet/' | tee -a "$results" >&2
bench/.venv/bin/python bench/readers/python_baseline.py "$data/data/events.parquet" parquet 3 | tee -a "$results" >&2
# Streaming: a 1 GB JSONL object read whole, with the reader's peak memory.
python3 -c "
import sys
line = ('{\"id\":%d,\"payload\":\"' + 'x' * 180 + '\"}\n')
with open('$data/data/big.jsonl', 'w') as out:
    for start in range(0, 5000000, 100000):
        out.write(''.join(line % n for n in range(start, start + 100000)))
"
/usr/bin/time -f "%M" -o "$data/rss" "$bench" readers --store "$data" --key big.jsonl --format JSONL --repeat 1 > "$data/big.out"
echo "streamed-1GB-JSONL $(cat "$data/big.out" | cut -d' ' -f2-) $(cat "$data/rss")" | tee -a "$results" >&2
python3 - "$results" <<'PY'
import sys
rows = {}
streamed = None
for line in open(sys.argv[1]):
    fields = line.split()
    if fields[0] == "streamed-1GB-JSONL":
        streamed = (int(fields[1]), int(fields[2]), float(fields[3]), float(fields[4]), int(fields[5]))
        continue
    name, size, items, seconds, rate = fields
    rows[name] = (int(size), int(items), float(seconds), float(rate))
print("Item readers: a generated object parsed into items (best of 3)")
print()
print("| reader | MB | items | s | MB/s |")
print("|---|---:|---:|---:|---:|")
for name, (size, items, seconds, rate) in rows.items():
    print("| %s | %.0f | %d | %.3f | %.1f |" % (name, size / 1e6, items, seconds, rate))
print()
print("Ratios:")
for ours, theirs, label in [("statesman-JSONL", "python-json.loads", "JSONL"), ("statesman-CSV", "python-csv.reader", "CSV")]:
    if ours in rows and theirs in rows:
        print("- %s: Statesman / Python %.2fx (goal: at least 300 MB/s; measured %.1f MB/s)" % (label, rows[ours][3] / rows[theirs][3], rows[ours][3]))
if "statesman-Parquet" in rows and "pyarrow-to_pylist" in rows:
    ours, theirs = rows["statesman-Parquet"], rows["pyarrow-to_pylist"]
    print("- Parquet: Statesman / pyarrow rows as dicts %.2fx (%d rows/s against %d; MB/s counts the compressed file)"
          % (theirs[2] / ours[2], ours[1] / ours[2], theirs[1] / theirs[2]))
if streamed:
    size, items, seconds, rate, rss = streamed
    print("- streaming: a %.2f GB JSONL object read in %.1f s (%d items, %.0f MB/s) with a peak RSS of %.0f MB" % (size / 1e9, seconds, items, rate, rss / 1024))
PY
rm -f "$results"
