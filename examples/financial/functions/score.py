"""The financial scoring step: a Lambda handler that scores one batch of card transactions.

Its event is an ItemBatcher batch, {"BatchInput": {"threshold": n}, "Items": [transaction, ...]}.
Each transaction gets points for an amount far above the batch's median for its account, for
a payment seconds after the same account's previous one, for a high-risk country and for a
risky merchant kind; those at or above the threshold are suspicious. A transaction whose
amount is not a number raises ValueError, which fails the batch (the Map tolerates a few).
"""
from statistics import median

HIGH_RISK_COUNTRIES = {"KP", "IR", "VE", "MM"}
RISKY_MERCHANTS = {"crypto-exchange", "gift-cards", "wire-transfer"}


def seconds(text):
    day, clock = text.rstrip("Z").split("T")
    hours, minutes, secs = (int(part) for part in clock.split(":"))
    return int(day.replace("-", "")) * 86400 + hours * 3600 + minutes * 60 + secs


def handler(event, context):
    items = event["Items"]
    threshold = event.get("BatchInput", {}).get("threshold", 50)
    for item in items:
        if not isinstance(item["amount"], (int, float)):
            raise ValueError("transaction %s has amount %r, which is not a number" % (item["id"], item["amount"]))
    amounts = {}
    for item in items:
        amounts.setdefault(item["account"], []).append(item["amount"])
    typical = {account: median(values) for account, values in amounts.items()}
    last_seen = {}
    suspicious = []
    for item in sorted(items, key=lambda item: (item["time"], item["id"])):
        score, reasons = 0, []
        usual = typical[item["account"]]
        if len(amounts[item["account"]]) >= 2 and item["amount"] > 10 * usual or item["amount"] > 1000:
            score += 60
            reasons.append("amount")
        previous = last_seen.get(item["account"])
        if previous is not None and seconds(item["time"]) - previous <= 10:
            score += 30
            reasons.append("burst")
        last_seen[item["account"]] = seconds(item["time"])
        if item["country"] in HIGH_RISK_COUNTRIES:
            score += 50
            reasons.append("country")
        if item["merchant"] in RISKY_MERCHANTS:
            score += 50
            reasons.append("merchant")
        if score >= threshold:
            suspicious.append({"id": item["id"], "account": item["account"], "amount": item["amount"], "score": score, "reasons": reasons})
    return {"firstId": items[0]["id"], "transactions": len(items), "accounts": sorted(amounts), "suspicious": suspicious,
            "suspiciousCount": len(suspicious)}
