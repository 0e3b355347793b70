#!/usr/bin/env python3
"""Writes the JSONata benchmark's workload: typical ASL expressions and the state input they
read as $states.input (an order with 1,000 items), to bench/jsonata/workload.json."""
import json
import random
import sys

random.seed(7)
items = [{"sku": f"SKU-{i:05d}", "price": round(random.uniform(1, 100), 2), "qty": random.randint(1, 9),
          "tags": random.sample(["red", "blue", "green", "sale", "new"], 2)} for i in range(1000)]
document = {
    "order": {"id": "order-2026-0042", "placed": 1764153600000, "customer": {"name": "Ada Lovelace", "tier": "gold"},
              "tags": ["priority", "gift"]},
    "items": items,
}
expressions = [
    ["field selection", "$states.input.order.customer.name"],
    ["filter and map over 1,000 items", "$states.input.items[price > 50].{'sku': sku, 'total': price * qty}"],
    ["$sum of a projection", "$sum($states.input.items.(price * qty))"],
    ["string formatting",
     "'Order ' & $states.input.order.id & ' for ' & $uppercase($states.input.order.customer.name) & ' placed ' & $fromMillis($states.input.order.placed, '[Y0001]-[M01]-[D01]')"],
    ["object constructor",
     "{'id': $states.input.order.id, 'customer': $states.input.order.customer.name, 'count': $count($states.input.items), 'first': $states.input.items[0].sku, 'tags': $states.input.order.tags}"],
]
out = sys.argv[1] if len(sys.argv) > 1 else "bench/jsonata/workload.json"
with open(out, "w") as f:
    json.dump({"input": document, "expressions": [{"name": n, "expression": e} for n, e in expressions]}, f)
