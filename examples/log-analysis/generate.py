#!/usr/bin/env python3
"""Writes the log-analysis example's data: web and authentication events, one JSON object per
line, in many files under <store>/<bucket>/raw/<day>/<host>.jsonl. The same arguments
always give the same files.

    generate.py [--store DIR] [--bucket NAME] [--files N] [--lines N] [--seed N]

Among ordinary traffic it plants what the detector looks for: brute-force logins (many
failures from one address), injection attempts in request paths, scanners' user agents, and
"impossible travel" (one user logging in from two countries within an hour).
"""
import argparse
import json
import os
import random
import shutil
from datetime import datetime, timedelta, timezone

COUNTRIES = ["US", "DE", "FR", "JP", "BR", "IN", "GB", "CA"]
BROWSERS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
]
SCANNERS = ["sqlmap/1.8.5#stable (https://sqlmap.org)", "Nikto/2.5.0", "masscan/1.3.2", "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)"]
PATHS = ["/", "/products", "/products/42", "/cart", "/checkout", "/account", "/search?q=shoes", "/static/app.js"]
INJECTIONS = [
    "/search?q=' OR '1'='1",
    "/products?id=1 UNION SELECT username,password FROM users",
    "/search?q=<script>alert(document.cookie)</script>",
    "/download?file=../../../../etc/passwd",
    "/api/run?cmd=;cat%20/etc/shadow",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=".statesman/store")
    parser.add_argument("--bucket", default="logs")
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--lines", type=int, default=2000, help="events per file")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()

    rng = random.Random(arguments.seed)
    users = ["user%03d" % n for n in range(300)]
    home = {user: rng.choice(COUNTRIES) for user in users}
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    root = os.path.join(arguments.store, arguments.bucket, "raw")
    shutil.rmtree(root, ignore_errors=True)  # the files of an earlier, larger run would stay
    written = 0
    for index in range(arguments.files):
        day = start + timedelta(days=index % 7)
        host = "web-%02d" % (index // 7)
        directory = os.path.join(root, day.strftime("%Y-%m-%d"))
        os.makedirs(directory, exist_ok=True)
        events = []
        moment = day + timedelta(seconds=rng.randrange(3600))
        for _ in range(arguments.lines):
            moment += timedelta(seconds=rng.randrange(1, 30))
            events.append(ordinary(rng, moment, users, home))
        plant(rng, index, day, events, users, home)
        events.sort(key=lambda event: event["time"])
        with open(os.path.join(directory, host + ".jsonl"), "w") as out:
            for event in events:
                out.write(json.dumps(event, separators=(",", ":")) + "\n")
        written += len(events)
    print("wrote %d events in %d files under %s" % (written, arguments.files, root))


def stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def address(rng):
    return "%d.%d.%d.%d" % (rng.randrange(11, 223), rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))


def ordinary(rng, moment, users, home):
    user = rng.choice(users)
    if rng.random() < 0.15:
        ok = rng.random() < 0.9
        return {"time": stamp(moment), "kind": "auth", "ip": address(rng), "user": user, "result": "success" if ok else "failure",
                "country": home[user], "agent": rng.choice(BROWSERS)}
    return {"time": stamp(moment), "kind": "http", "ip": address(rng), "user": user, "method": rng.choice(["GET", "GET", "POST"]),
            "path": rng.choice(PATHS), "status": rng.choice([200, 200, 200, 304, 404]), "agent": rng.choice(BROWSERS)}


def plant(rng, index, day, events, users, home):
    """Adds the incidents: what files get which is decided by the seed alone."""
    moment = day + timedelta(hours=rng.randrange(2, 20))
    if index % 5 == 0:  # a brute-force run: 30-60 failures from one address, then maybe a success
        attacker, victim = address(rng), rng.choice(users)
        for attempt in range(rng.randrange(30, 60)):
            events.append({"time": stamp(moment + timedelta(seconds=attempt * 2)), "kind": "auth", "ip": attacker, "user": victim,
                           "result": "failure", "country": "RU", "agent": "python-requests/2.32.3"})
    if index % 3 == 0:  # injection attempts
        attacker = address(rng)
        for offset in range(rng.randrange(1, 4)):
            events.append({"time": stamp(moment + timedelta(minutes=offset)), "kind": "http", "ip": attacker, "user": "-", "method": "GET",
                           "path": rng.choice(INJECTIONS), "status": 400, "agent": rng.choice(BROWSERS)})
    if index % 4 == 1:  # a scanner
        scanner, agent = address(rng), rng.choice(SCANNERS)
        for offset in range(rng.randrange(5, 15)):
            events.append({"time": stamp(moment + timedelta(seconds=offset)), "kind": "http", "ip": scanner, "user": "-", "method": "GET",
                           "path": rng.choice(PATHS + ["/wp-login.php", "/.env", "/admin"]), "status": 404, "agent": agent})
    if index % 6 == 2:  # impossible travel: home, then far away 20-50 minutes later
        user = rng.choice(users)
        away = rng.choice([country for country in COUNTRIES if country != home[user]])
        first = moment + timedelta(minutes=5)
        events.append({"time": stamp(first), "kind": "auth", "ip": address(rng), "user": user, "result": "success", "country": home[user],
                       "agent": rng.choice(BROWSERS)})
        events.append({"time": stamp(first + timedelta(minutes=rng.randrange(20, 50))), "kind": "auth", "ip": address(rng), "user": user,
                       "result": "success", "country": away, "agent": rng.choice(BROWSERS)})


if __name__ == "__main__":
    main()
