"""The log-analysis report: a Lambda handler that merges what the detectors found into one
ranked report, written next to the results.

Its event: {"bucket", "manifest": the ResultWriter's manifest key, "reportKey"}. It reads the
manifest and the SUCCEEDED files (JSON Lines of detector results) from the object store: on
AWS through boto3 (S3), under Statesman from the store directory the engine gives in
STATESMAN_STORE. Brute force and impossible travel only show across batches, so they are
decided here.
"""
import json
import os
from datetime import datetime

BRUTE_FORCE_FAILURES = 20
TRAVEL_WINDOW_MINUTES = 60
SEVERITY = {"brute-force": 3, "impossible-travel": 3, "command-injection": 3, "sql-injection": 2, "path-traversal": 2, "script-injection": 2, "scanner": 1}
LEVEL = {3: "high", 2: "medium", 1: "low"}


def read_object(bucket, key):
    root = os.environ.get("STATESMAN_STORE")
    if root:
        with open(os.path.join(root, bucket, key), "rb") as source:
            return source.read()
    import boto3  # on AWS Lambda

    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def write_object(bucket, key, data):
    root = os.environ.get("STATESMAN_STORE")
    if root:
        path = os.path.join(root, bucket, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "wb") as out:
            out.write(data)
        os.replace(path + ".tmp", path)
        return
    import boto3

    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=data)


def results(bucket, manifest_key):
    manifest = json.loads(read_object(bucket, manifest_key))
    for entry in manifest["ResultFiles"]["SUCCEEDED"]:
        text = read_object(manifest["DestinationBucket"], entry["Key"]).decode("utf-8")
        if text.lstrip().startswith("["):
            yield from json.loads(text)  # OutputType JSON
        else:
            yield from (json.loads(line) for line in text.splitlines() if line.strip())


def minutes_between(earlier, later):
    parse = lambda text: datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    return (parse(later) - parse(earlier)).total_seconds() / 60


def handler(event, context):
    events = batches = 0
    findings = []
    failures = {}
    logins = {}
    for result in results(event["bucket"], event["manifest"]):
        batches += 1
        events += result["events"]
        findings.extend(result["findings"])
        for ip, seen in result["failures"].items():
            total = failures.setdefault(ip, {"count": 0, "users": set(), "first": seen["first"], "last": seen["last"]})
            total["count"] += seen["count"]
            total["users"].update(seen["users"])
            total["first"] = min(total["first"], seen["first"])
            total["last"] = max(total["last"], seen["last"])
        for user, time, country in result["logins"]:
            logins.setdefault(user, []).append((time, country))

    merged = []
    # Injections grouped by address and kind; scanners by address and agent.
    grouped = {}
    for finding in findings:
        key = (finding["type"], finding["ip"], finding.get("agent", ""))
        entry = grouped.setdefault(key, {"type": finding["type"], "ip": finding["ip"], "count": 0, "first": finding["time"], "examples": []})
        entry["count"] += finding.get("count", 1)
        entry["first"] = min(entry["first"], finding["time"])
        example = finding.get("path") or finding.get("agent")
        if example not in entry["examples"] and len(entry["examples"]) < 3:
            entry["examples"].append(example)
    merged.extend(grouped.values())
    for ip, seen in failures.items():
        if seen["count"] >= BRUTE_FORCE_FAILURES:
            merged.append({"type": "brute-force", "ip": ip, "count": seen["count"], "first": seen["first"], "examples": sorted(seen["users"])})
    for user, entries in logins.items():
        entries.sort()
        for (time, country), (next_time, next_country) in zip(entries, entries[1:]):
            if country != next_country and minutes_between(time, next_time) <= TRAVEL_WINDOW_MINUTES:
                merged.append({"type": "impossible-travel", "ip": "-", "count": 1, "first": time,
                               "examples": ["%s: %s at %s, %s at %s" % (user, country, time, next_country, next_time)]})
    for finding in merged:
        finding["severity"] = LEVEL[SEVERITY[finding["type"]]]
    # Ranked: severity, then how often, then when and where (a stable order for the same data).
    merged.sort(key=lambda f: (-SEVERITY[f["type"]], -f["count"], f["first"], f["type"], f["ip"]))
    summary = {}
    for finding in merged:
        summary[finding["type"]] = summary.get(finding["type"], 0) + 1
    report = {"events": events, "batches": batches, "findings": len(merged), "byType": dict(sorted(summary.items())), "ranked": merged}
    write_object(event["bucket"], event["reportKey"], (json.dumps(report, indent=2) + "\n").encode("utf-8"))
    return {"events": events, "batches": batches, "findings": len(merged), "byType": report["byType"], "top": merged[:5],
            "report": "s3://%s/%s" % (event["bucket"], event["reportKey"]),
            "results": "s3://%s/%s" % (event["bucket"], os.path.dirname(event["manifest"]) + "/")}
