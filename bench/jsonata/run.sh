#!/usr/bin/env bash
# The JSONata benchmark: typical ASL expressions evaluated in Statesman (release build) and in
# the pure-Python jsonata-python package, side by side; prints evaluations per second and ratios.
#   bench/jsonata/run.sh [COUNT] [SECONDS] [REPEAT]
#     COUNT    evaluations per expression (default 100000)
#     SECONDS  time budget per expression and engine (default 10): an engine that cannot do
#              COUNT in that time is measured on what it did (jsonata-python, on the larger ones)
#     REPEAT   rounds, alternating the engines; each figure is the best round (default 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-100000}
budget=${2:-10}
repeat=${3:-3}
venv=bench/jsonata/.venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import jsonata" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q jsonata-python
fi
python3 bench/jsonata/workload.py bench/jsonata/workload.json
swift build -c release --product statesman-bench >/dev/null
lines=$(mktemp)
for _ in $(seq "$repeat"); do
  .build/release/statesman-bench jsonata --workload bench/jsonata/workload.json --count "$count" --seconds "$budget" >> "$lines"
  "$venv/bin/python" bench/jsonata/python_baseline.py bench/jsonata/workload.json "$count" "$budget" >> "$lines"
done
echo "JSONata benchmark: evaluations per second with \$states bound (up to $count per expression or ${budget} s each; best of $repeat rounds)"
echo
python3 bench/jsonata/table.py < "$lines"
rm -f "$lines"
