"""The big-data aggregator: a Lambda handler that sums one batch of sales rows by a key.

Its event is what a Distributed Map with an ItemBatcher sends: {"BatchInput": {"groupBy":
[field, ...]}, "Items": [row, ...]}, each row an object of strings (as the CSV reader gives
them). It returns {"rows": n, "groups": {"north|coffee": {"orders", "quantity", "amountCents"}}}.
Amounts are summed in cents, as integers, so the totals are exact.
"""


def handler(event, context):
    group_by = event.get("BatchInput", {}).get("groupBy", ["region"])
    groups = {}
    for row in event.get("Items", []):
        key = "|".join(row[field] for field in group_by)
        total = groups.setdefault(key, {"orders": 0, "quantity": 0, "amountCents": 0})
        total["orders"] += 1
        total["quantity"] += int(row["quantity"])
        whole, _, cents = row["amount"].partition(".")
        total["amountCents"] += int(whole) * 100 + int((cents + "00")[:2])
    return {"rows": len(event.get("Items", [])), "groups": groups}
