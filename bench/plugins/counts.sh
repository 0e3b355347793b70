#!/usr/bin/env bash
# What one Lambda Task costs the engine, counted rather than timed: reference-count operations,
# object allocations, mallocs, system calls and context switches per invocation of a
# `statesman run` Map of Maps (100 x 1,000 trivial invocations, 2 workers), with the default
# (automatic pipelining) and with one invocation in flight per worker. Counts do not drift with
# this machine's speed, so a change to the per-Task path shows in one run.
#   bench/plugins/counts.sh [OUTER]       (default 100: OUTER x 1,000 invocations)
# Needs `perf` with uprobes (Linux, root or perf_event_paranoid <= 1); the Python workers use
# none of the probed functions, so the Swift and jemalloc counts are the engine's alone (the
# system calls and switches include the workers').
set -euo pipefail
cd "$(dirname "$0")/../.."
outer=${1:-100}
swift build -c release --product statesman >/dev/null
binary=.build/release/statesman
core=$(ldd "$binary" | awk '/libswiftCore.so/ {print $3}')
jemalloc=$(ldd "$binary" | awk '/libjemalloc.so/ {print $3}')
if ! command -v perf >/dev/null; then
  echo "counts.sh: perf is not installed (apt-get install linux-perf)" >&2
  exit 2
fi
for probe in swift_retain swift_release swift_allocObject; do
  perf probe -q -x "$core" --add "$probe" 2>/dev/null || true
done
perf probe -q -x "$jemalloc" --add malloc 2>/dev/null || true
events=probe_libswiftCore:swift_retain,probe_libswiftCore:swift_release,probe_libswiftCore:swift_allocObject,probe_libjemalloc:malloc
events+=,syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex,context-switches
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -c "import json; print(json.dumps({'outer': list(range($outer))}))" > "$work/input.json"
items=$((outer * 1000))
for registry in bench/plugins/functions.yaml bench/plugins/functions-unpipelined.yaml; do
  if ! perf stat -x, -e "$events" -o "$work/counts" "$binary" run bench/plugins/map.asl.json --functions "$registry" \
    --state "$work/state-$(basename "$registry")" --input @"$work/input.json" >/dev/null 2>"$work/run.log"; then
    echo "counts.sh: the run failed (perf needs uprobes: root, or perf_event_paranoid <= 1):" >&2
    tail -5 "$work/run.log" "$work/counts" >&2
    exit 1
  fi
  echo "$registry, per invocation ($items invocations):"
  python3 - "$work/counts" "$items" <<'EOF'
import sys
items = int(sys.argv[2])
for line in open(sys.argv[1]):
    fields = line.strip().split(",")
    if len(fields) > 3 and fields[0].replace(".", "").isdigit():
        print("  %-20s %8.2f" % (fields[2].split(":")[-1].replace("sys_enter_", ""), float(fields[0]) / items))
EOF
done
