#!/usr/bin/env python3
"""Prints the plugin benchmark's table from lines "name items seconds rate"."""
import sys

lines = [line.split() for line in sys.stdin if line.strip()]
# "roundN:name" lines are the paired rounds (see run.sh): summarised below, not in the table.
rows = [row for row in lines if not row[0].startswith("round")]
rounds = {}
for name, _, _, r in (row for row in lines if row[0].startswith("round")):
    number, _, configuration = name.partition(":")
    rounds.setdefault(number, {})[configuration] = float(r)
rate = {name: float(r) for name, _, _, r in rows}
print("Plugin benchmark: trivial invocations through 2 workers (items/s; µs per item = 1e6 / rate)")
print()
print("| configuration | items | items/s | µs/item |")
print("|---|---:|---:|---:|")
for name, items, seconds, r in rows:
    print("| %s | %s | %.0f | %.1f |" % (name.replace(",", ", ").replace("-", " "), items, float(r), 1e6 / float(r)))


# A baseline measured before and after Statesman's runs counts as the mean of the two.
averaged = []
for name in [name for name in rate if name + ",after" in rate]:
    averaged.append("- %s before and after Statesman's runs: %.0f and %.0f/s (the ratios use the mean)"
                    % (name.replace(",", ", ").replace("-", " "), rate[name], rate[name + ",after"]))
    rate[name] = (rate[name] + rate[name + ",after"]) / 2


def ratio(a, b):
    return "%.2f×" % (rate[a] / rate[b]) if a in rate and b in rate else "n/a"


print()
print("Ratios:")
for line in averaged:
    print(line)
print("- Statesman host / C parent, Lambda runner, 1 in flight: " + ratio("Statesman-host+Lambda-runner,1-in-flight", "C-parent+Lambda-runner,1-in-flight"))
print("- Statesman host / C parent, minimal Python, 1 in flight: " + ratio("Statesman-host+Lambda-runner,1-in-flight", "C-parent+minimal-Python,1-in-flight"))
# The goal's ceiling is the C parent with the faster of the two Python workers (the Lambda
# runner has been the faster since its hot path was reworked).
ceilings = [name for name in ("C-parent+minimal-Python,1-in-flight", "C-parent+Lambda-runner,1-in-flight") if name in rate]
if ceilings:
    ceiling = max(ceilings, key=rate.get)
    print("- Statesman host / the faster of the two, 1 in flight (goal ≥ 0.8): " + ratio("Statesman-host+Lambda-runner,1-in-flight", ceiling))
print("- Statesman host, Lambda runner, 16 pipelined (goal ≥ 150,000/s): %.0f/s" % rate.get("Statesman-host+Lambda-runner,16-pipelined", 0))
print("- Statesman host / C parent, C echo, 16 pipelined: " + ratio("Statesman-host+C-echo,16-pipelined", "C-parent+C-echo,16-pipelined"))
if "Statesman-host+C-echo,16-pipelined" in rate:
    print("- Host overhead with the C echo plugin, pipelined (goal < 5 µs): %.1f µs per invocation" % (1e6 / rate["Statesman-host+C-echo,16-pipelined"]))
print("- statesman run (Map of Maps) / process per item: " + ratio("statesman-run,Map-of-Maps,2-workers", "process-per-item,xargs-P2"))
# statesman run uses the registry's default, automatic pipelining (16 deep for this function).
print("- statesman run / Statesman host alone, 16 pipelined: " + ratio("statesman-run,Map-of-Maps,2-workers", "Statesman-host+Lambda-runner,16-pipelined"))


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def summary(values, form):
    return "median %s (%s to %s)" % (form % median(values), form % min(values), form % max(values))


if rounds:
    ceilings = ("C-parent+minimal-Python,1-in-flight", "C-parent+Lambda-runner,1-in-flight")
    one = [r["Statesman-host+Lambda-runner,1-in-flight"] / max(r[c] for c in ceilings)
           for r in rounds.values() if "Statesman-host+Lambda-runner,1-in-flight" in r and all(c in r for c in ceilings)]
    # The issue's own form of it: the invocations through `statesman run` (a Map of Maps, whose
    # interpreter is the host's caller), one in flight per worker.
    through_run = [r["statesman-run,Map-of-Maps,1-in-flight"] / max(r[c] for c in ceilings)
                   for r in rounds.values() if "statesman-run,Map-of-Maps,1-in-flight" in r and all(c in r for c in ceilings)]
    piped = [r["Statesman-host+Lambda-runner,16-pipelined"] for r in rounds.values() if "Statesman-host+Lambda-runner,16-pipelined" in r]
    # What the same workers take pipelined from the C parent: the machine's own limit for the goal.
    piped_ceiling = [r["Statesman-host+Lambda-runner,16-pipelined"] / r["C-parent+Lambda-runner,16-pipelined"]
                     for r in rounds.values() if "Statesman-host+Lambda-runner,16-pipelined" in r and "C-parent+Lambda-runner,16-pipelined" in r]
    echo = [1e6 / r["Statesman-host+C-echo,16-pipelined"] for r in rounds.values() if "Statesman-host+C-echo,16-pipelined" in r]
    # The pipelining goal through `statesman run`, and against what the C parent got from the
    # same workers in the same round.
    run_piped = [r["statesman-run,Map-of-Maps,pipelined"] for r in rounds.values() if "statesman-run,Map-of-Maps,pipelined" in r]
    run_piped_ceiling = [r["statesman-run,Map-of-Maps,pipelined"] / r["C-parent+Lambda-runner,16-pipelined"]
                         for r in rounds.values() if "statesman-run,Map-of-Maps,pipelined" in r and "C-parent+Lambda-runner,16-pipelined" in r]
    print()
    print("Paired rounds (%d; each runs the ceilings and Statesman back to back):" % len(rounds))
    if one:
        print("- Statesman host / the faster C parent, Lambda runner, 1 in flight (goal ≥ 0.8): " + summary(one, "%.2f×"))
    if through_run:
        print("- statesman run, Map of Maps, 1 in flight (pipeline: 0) / the faster C parent (goal ≥ 0.8): " + summary(through_run, "%.2f×"))
    if piped:
        print("- Statesman host, Lambda runner, 16 pipelined (goal ≥ 150,000/s): " + summary(piped, "%.0f/s"))
    if piped_ceiling:
        print("- Statesman host / C parent, Lambda runner, 16 pipelined: " + summary(piped_ceiling, "%.2f×"))
    if echo:
        print("- Host overhead with the C echo plugin, pipelined (goal < 5 µs): " + summary(echo, "%.1f µs"))
    if run_piped:
        print("- statesman run, Map of Maps, automatic pipelining (goal ≥ 150,000/s): " + summary(run_piped, "%.0f/s"))
    if run_piped_ceiling:
        print("- statesman run, pipelined / C parent, Lambda runner, 16 pipelined: " + summary(run_piped_ceiling, "%.2f×"))
