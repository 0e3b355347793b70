#!/usr/bin/env bash
# The Distributed Map benchmark: N generated JSONL items through the trivial Python function
# with 2 workers and a ResultWriter, one item per child execution and 100 per batch, beside
# the same handler driven by the plugin benchmark's warm-worker baselines and by one process
# per item, in one run. Prints items/s, peak RSS and ratios; the scaling rows (10k, 100k, 1M,
# and with --full 10M items batched) go into the same table.
#   bench/distributed-map/run.sh [--full] [N...]      (default N: 10000 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/../.."
full=no
sizes=()
for argument in "$@"; do
  if [ "$argument" = --full ]; then full=yes; else sizes+=("$argument"); fi
done
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/pipe_parent" bench/baselines/pipe_parent.c
python=$(python3 -c 'import sys; print(sys.executable)')
statesman=.build/release/statesman
results=$(mktemp)

run_map() {  # SHAPE ITEMS [REGISTRY [NAME]] → "name items seconds rate rss_kb"
  local shape=$1 items=$2 registry=${3:-bench/plugins/functions.yaml} name=${4:-$1}
  # A fresh execution store each run: the repository's .statesman would grow run after run.
  rm -rf "$work/store/data/results" "$work/state"
  /usr/bin/time -f "%e %M" -o "$work/time" "$statesman" run "bench/distributed-map/$shape.asl.json" \
    --functions "$registry" --store "$work/store" --state "$work/state" --json > "$work/out.json" 2>/dev/null
  grep -q '"status":"SUCCEEDED"' "$work/out.json" || { echo "$shape $items failed: $(head -c 300 "$work/out.json")" >&2; return 1; }
  read -r seconds rss < "$work/time"
  python3 -c "print('statesman-$name $items %s %.1f $rss' % ($seconds, $items / max($seconds, 1e-9)))" | tee -a "$results" >&2
}

# Baselines with the largest size (at most 1,000,000 items): the same handler in 2 warm
# workers, and one process per item. The one the goal is measured against runs before and
# after Statesman's runs, and the ratio takes the mean: this machine's speed drifts.
largest=$(printf '%s\n' "${sizes[@]}" | sort -n | tail -1)
[ "$largest" -le 1000000 ] || largest=1000000
measure() {  # NAME COMMAND... → "name items seconds rate -"
  local name=$1; shift
  echo "$name $("$@" | tail -1) -" | tee -a "$results" >&2
}
measure "C-parent+minimal-Python,1-in-flight,before" "$work/pipe_parent" "$largest" 2 1 "$python" bench/baselines/python_worker.py

for items in "${sizes[@]}"; do
  python3 bench/distributed-map/generate.py "$work/store" "$items"
  run_map per-item "$items"
  run_map batched "$items"
done
if [ "$full" = yes ]; then
  python3 bench/distributed-map/generate.py "$work/store" 10000000
  run_map batched 10000000
fi
# One item per child again, with the function's `pipeline: 0`: nothing waits in a busy
# worker's pipe (the default queues up to 16 there while the invocations are short).
python3 bench/distributed-map/generate.py "$work/store" "$largest"
run_map per-item "$largest" bench/plugins/functions-unpipelined.yaml per-item-pipeline-0
runner=(plugins/python/statesman_runner.py --handler trivial.handler --code "$PWD/bench/plugins")
measure "C-parent+Lambda-runner,1-in-flight" "$work/pipe_parent" "$largest" 2 1 "$python" "${runner[@]}"
measure "C-parent+minimal-Python,1-in-flight" "$work/pipe_parent" "$largest" 2 1 "$python" bench/baselines/python_worker.py
measure "Python-parent+minimal-Python,16-pipelined" "$python" bench/baselines/pipe_parent.py "$largest" 2 16 "$python" bench/baselines/python_worker.py
# The batched shape's ceiling: the same 100-item batches sent to the same handler by the C parent.
measure "C-parent+Lambda-runner,100-item-batches,16-pipelined" env PIPE_PARENT_BATCH=100 "$work/pipe_parent" "$largest" 2 16 "$python" "${runner[@]}"
start=$(date +%s.%N)
seq 300 | xargs -P 2 -I{} "$python" -c "import json,sys; sys.path.insert(0,'bench/plugins'); import trivial; json.dumps(trivial.handler({'n': {}}, None))"
end=$(date +%s.%N)
python3 -c "s=$end-$start; print('process-per-item,xargs-P2 300 %.6f %.1f -' % (s, 300/s))" | tee -a "$results" >&2
python3 bench/distributed-map/table.py "$results" "$largest"
# The scaling curve as a PNG (matplotlib, in bench/.venv).
if [ ! -x bench/.venv/bin/python ]; then python3 -m venv bench/.venv; fi
bench/.venv/bin/python -c "import matplotlib" 2>/dev/null || bench/.venv/bin/pip install -q matplotlib
bench/.venv/bin/python bench/distributed-map/plot.py "$results" bench/distributed-map/scaling.png >&2
rm -f "$results"
