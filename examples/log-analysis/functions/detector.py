"""The log-analysis detector: a Lambda handler that scans one batch of log events.

It gets what a Distributed Map with an ItemBatcher sends, {"Items": [event, ...]}, and returns
what it found in the batch, small enough to merge later:
  - "findings": injection attempts (SQL, script, path traversal, command) and scanners,
  - "failures": failed logins per source address (brute force shows only across batches),
  - "logins": successful logins as [user, time, country] (impossible travel, likewise).
Only the standard library; runs unchanged on AWS Lambda.
"""
import re

INJECTION = [
    ("sql-injection", re.compile(r"('|%27)\s*(or|and)\s*('|%27)?\d|union\s+select|;\s*drop\s+table", re.IGNORECASE)),
    ("script-injection", re.compile(r"<\s*script|javascript:|onerror\s*=", re.IGNORECASE)),
    ("path-traversal", re.compile(r"\.\./|%2e%2e%2f", re.IGNORECASE)),
    ("command-injection", re.compile(r"[;|`]\s*(cat|ls|wget|curl|sh|bash)\b|\$\(", re.IGNORECASE)),
]
SCANNERS = re.compile(r"sqlmap|nikto|masscan|nuclei|nmap|zgrab|dirbuster|gobuster", re.IGNORECASE)


def handler(event, context):
    items = event.get("Items", []) if isinstance(event, dict) else []
    findings = []
    scanners = {}
    failures = {}
    logins = []
    for item in items:
        kind = item.get("kind")
        if kind == "http":
            path = item.get("path", "")
            for name, pattern in INJECTION:
                if pattern.search(path):
                    findings.append({"type": name, "ip": item.get("ip"), "time": item.get("time"), "path": path})
                    break
            agent = item.get("agent", "")
            if SCANNERS.search(agent):
                seen = scanners.setdefault((item.get("ip"), agent), {"count": 0, "first": item.get("time")})
                seen["count"] += 1
        elif kind == "auth":
            if item.get("result") == "failure":
                seen = failures.setdefault(item.get("ip"), {"count": 0, "users": [], "first": item.get("time"), "last": item.get("time")})
                seen["count"] += 1
                seen["last"] = max(seen["last"], item.get("time"))
                seen["first"] = min(seen["first"], item.get("time"))
                if item.get("user") not in seen["users"]:
                    seen["users"].append(item.get("user"))
            else:
                logins.append([item.get("user"), item.get("time"), item.get("country")])
    for (ip, agent), seen in sorted(scanners.items()):
        findings.append({"type": "scanner", "ip": ip, "agent": agent, "count": seen["count"], "time": seen["first"]})
    return {"events": len(items), "findings": findings, "failures": failures, "logins": logins}
