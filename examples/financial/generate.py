#!/usr/bin/env python3
"""Writes the financial example's data: card transactions, one JSON object per line, in
<store>/<bucket>/transactions.jsonl. The same arguments always give the same file.

    generate.py [--store DIR] [--bucket NAME] [--transactions N] [--seed N]

Among ordinary spending it plants what the scoring looks for — amounts far above an account's
usual, bursts of payments seconds apart, payments from an unusual country, risky merchant
kinds — a few accounts on the sanctions list, and now and then a corrupt record (an amount
that is not a number), which fails its batch.
"""
import argparse
import json
import os
import random
from datetime import datetime, timedelta, timezone

MERCHANTS = ["grocery", "fuel", "restaurant", "pharmacy", "books", "travel", "electronics", "clothing"]
RISKY = ["crypto-exchange", "gift-cards", "wire-transfer"]
COUNTRIES = ["NL", "DE", "FR", "ES", "IT", "SE", "PL", "PT"]
SANCTIONED = ["acct-9013", "acct-9077", "acct-9142"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=".statesman/store")
    parser.add_argument("--bucket", default="payments")
    parser.add_argument("--transactions", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    accounts = ["acct-%04d" % n for n in range(400)]
    home = {account: rng.choice(COUNTRIES) for account in accounts}
    usual = {account: rng.choice([12, 25, 40, 80]) for account in accounts}
    moment = datetime(2026, 11, 1, tzinfo=timezone.utc)
    directory = os.path.join(arguments.store, arguments.bucket)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "transactions.jsonl"), "w") as out:
        index = 0
        while index < arguments.transactions:
            moment += timedelta(seconds=rng.randrange(1, 20))
            account = rng.choice(accounts)
            record = {"id": "tx-%07d" % index, "account": account, "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "amount": round(usual[account] * rng.uniform(0.2, 2.5), 2), "currency": "EUR", "country": home[account],
                      "merchant": rng.choice(MERCHANTS)}
            roll = rng.random()
            if roll < 0.0005:
                record["amount"] = round(usual[account] * rng.uniform(40, 120), 2)
            elif roll < 0.001:
                record["country"] = rng.choice(["KP", "IR", "VE", "MM"])
            elif roll < 0.0015:
                record["merchant"] = rng.choice(RISKY)
            elif roll < 0.002:
                record["account"] = rng.choice(SANCTIONED)
            if index % 5000 == 1234:
                record["amount"] = "n/a"  # corrupt: fails the batch it is in (4% of the batches)
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
            index += 1
            if roll > 0.9995 and index < arguments.transactions:  # a burst: the same card, seconds apart
                for _ in range(min(6, arguments.transactions - index)):
                    moment += timedelta(seconds=rng.randrange(1, 5))
                    burst = dict(record, id="tx-%07d" % index, time=moment.strftime("%Y-%m-%dT%H:%M:%SZ"), amount=round(usual[account] * 1.5, 2))
                    out.write(json.dumps(burst, separators=(",", ":")) + "\n")
                    index += 1
    print("wrote %d transactions to %s/transactions.jsonl" % (arguments.transactions, directory))


if __name__ == "__main__":
    main()
