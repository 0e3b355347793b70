#!/usr/bin/env python3
"""Writes the big-data example's data: sales rows as one CSV object and the same rows as a
JSONL object, in <store>/<bucket>/sales.csv and sales.jsonl. The same arguments always give the
same files.

    generate.py [--store DIR] [--bucket NAME] [--rows N] [--seed N]
"""
import argparse
import csv
import json
import os
import random
from datetime import date, timedelta

REGIONS = {"north": ["oslo", "helsinki", "tallinn"], "south": ["lisbon", "seville", "naples"], "east": ["warsaw", "prague", "vienna"],
           "west": ["dublin", "bristol", "nantes"]}
PRODUCTS = {"coffee": ("grocery", 4.50), "tea": ("grocery", 3.20), "mug": ("kitchen", 9.99), "kettle": ("kitchen", 39.00),
            "grinder": ("kitchen", 59.50), "beans-1kg": ("grocery", 18.75), "filter": ("grocery", 2.10), "scale": ("kitchen", 24.90)}
FIELDS = ["order", "region", "store", "product", "category", "day", "quantity", "unit_price", "amount", "note"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=".statesman/store")
    parser.add_argument("--bucket", default="sales")
    parser.add_argument("--rows", type=int, default=200000)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    directory = os.path.join(arguments.store, arguments.bucket)
    os.makedirs(directory, exist_ok=True)
    first = date(2026, 1, 1)
    with open(os.path.join(directory, "sales.csv"), "w", newline="") as rows, open(os.path.join(directory, "sales.jsonl"), "w") as lines:
        writer = csv.writer(rows)
        writer.writerow(FIELDS)
        for index in range(arguments.rows):
            region = rng.choice(sorted(REGIONS))
            product = rng.choice(sorted(PRODUCTS))
            category, price = PRODUCTS[product]
            quantity = rng.randrange(1, 6)
            # Notes hold the delimiter, quotes and line breaks now and then: CSV must quote them.
            note = rng.choice(["", "", "", "gift, wrapped", 'said "thanks"', "two lines\nof note"])
            row = {"order": "o-%07d" % index, "region": region, "store": rng.choice(REGIONS[region]), "product": product, "category": category,
                   "day": (first + timedelta(days=rng.randrange(365))).isoformat(), "quantity": quantity, "unit_price": "%.2f" % price,
                   "amount": "%.2f" % (price * quantity), "note": note}
            writer.writerow([row[name] for name in FIELDS])
            # In JSONL every value is a string too, as the CSV reader gives them.
            lines.write(json.dumps({name: str(row[name]) for name in FIELDS}, separators=(",", ":")) + "\n")
    print("wrote %d rows to %s/sales.csv and sales.jsonl" % (arguments.rows, directory))


if __name__ == "__main__":
    main()
