#!/usr/bin/env bash
# The durability benchmark: the Distributed Map benchmark's workloads (bench/distributed-map:
# N JSONL items through the trivial Python function, 2 workers, ResultWriter; one item per
# child and 100 per batch) run twice in one run, alternating, best of R each:
#   in memory  an EXPRESS parent with EXPRESS children: nothing is recorded;
#   durable    a STANDARD parent with STANDARD children: every state, every child execution
#              with its history, and every completion record committed to SQLite as it runs.
# Prints items/s, peak RSS, the database's size and the ratio durable / in memory (goal >= 0.5).
#   bench/durability/run.sh [N] [R]      (default N 100000, R 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
items=${1:-100000}
repeat=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
statesman=.build/release/statesman
python3 bench/distributed-map/generate.py "$work/store" "$items"
for shape in per-item batched; do
  sed 's/"EXPRESS"/"STANDARD"/' "bench/distributed-map/$shape.asl.json" > "$work/$shape-standard.asl.json"
done
results=$(mktemp)

run_once() {  # MODE SHAPE → "mode shape seconds rss_kb db_bytes"
  local mode=$1 shape=$2 definition type
  rm -rf "$work/store/data/results" "$work/state"
  if [ "$mode" = in-memory ]; then
    definition="bench/distributed-map/$shape.asl.json" type=EXPRESS
  else
    definition="$work/$shape-standard.asl.json" type=STANDARD
  fi
  /usr/bin/time -f "%e %M" -o "$work/time" "$statesman" run "$definition" --type "$type" --functions bench/plugins/functions.yaml \
    --store "$work/store" --state "$work/state" --json > "$work/out.json" 2>/dev/null
  grep -q '"status":"SUCCEEDED"' "$work/out.json" || { echo "$mode $shape failed: $(head -c 300 "$work/out.json")" >&2; return 1; }
  read -r seconds rss < "$work/time"
  local size=0
  [ -f "$work/state/statesman.db" ] && size=$(stat -c %s "$work/state/statesman.db")
  echo "$mode $shape $seconds $rss $size" | tee -a "$results" >&2
}

for _ in $(seq "$repeat"); do
  for shape in per-item batched; do
    run_once in-memory "$shape"
    run_once durable "$shape"
  done
done
python3 - "$results" "$items" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
items = int(sys.argv[2])
best = {}
for mode, shape, seconds, rss, size in rows:
    key = (mode, shape)
    if key not in best or float(seconds) < best[key][0]:
        best[key] = (float(seconds), int(rss), int(size))
print("Durability benchmark: %d JSONL items through the trivial Python function, 2 workers, ResultWriter on (best of %d)" % (items, len(rows) // 4))
print()
print("| shape | mode | s | items/s | peak RSS MB | database MB |")
print("|---|---|---:|---:|---:|---:|")
for shape in ("per-item", "batched"):
    for mode in ("in-memory", "durable"):
        seconds, rss, size = best[(mode, shape)]
        print("| %s | %s | %.2f | %.0f | %.0f | %.0f |" % (shape, mode, seconds, items / seconds, rss / 1024, size / 1048576))
print()
for shape in ("per-item", "batched"):
    ratio = best[("in-memory", shape)][0] / best[("durable", shape)][0]
    print("- %s: durable / in memory = %.2fx (goal >= 0.5)" % (shape, ratio))
PY
rm -f "$results"
