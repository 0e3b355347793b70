#!/usr/bin/env python3
"""Prints the log-analysis report as a table: show-report.py STORE OUTPUT_JSON

OUTPUT_JSON is `statesman run --json`'s output; the full report is read from the store."""
import json
import os
import sys

store, output_path = sys.argv[1], sys.argv[2]
outcome = json.load(open(output_path))
if outcome.get("status") != "SUCCEEDED":
    print("the workflow ended %s: %s %s" % (outcome.get("status"), outcome.get("error", ""), outcome.get("cause", "")))
    sys.exit(1)
summary = outcome["output"]["summary"]
bucket_and_key = summary["report"][len("s3://"):]
report_path = os.path.join(store, bucket_and_key)
report = json.load(open(report_path))
print()
print("Security report: %d findings in %d events (%d batches)" % (report["findings"], report["events"], report["batches"]))
print("  " + ", ".join("%s %d" % (kind, count) for kind, count in report["byType"].items()))
print()
# The report is ranked; show the first two findings of each type, in rank order.
shown, per_type = [], {}
for finding in report["ranked"]:
    if per_type.get(finding["type"], 0) < 2:
        per_type[finding["type"]] = per_type.get(finding["type"], 0) + 1
        shown.append(finding)
print("  %-8s %-18s %-16s %6s  %s" % ("severity", "type", "source", "count", "example"))
for finding in shown:
    example = str(finding["examples"][0]) if finding["examples"] else ""
    print("  %-8s %-18s %-16s %6d  %s" % (finding["severity"], finding["type"], finding["ip"], finding["count"], example[:60]))
if len(report["ranked"]) > len(shown):
    print("  ... and %d more in the report" % (len(report["ranked"]) - len(shown)))
print()
print("alert:   %s" % outcome["output"]["alert"])
print("report:  %s" % report_path)
print("results: %s (manifest.json, SUCCEEDED_0.json: one detector result per batch)"
      % os.path.join(store, summary["results"][len("s3://"):]))
