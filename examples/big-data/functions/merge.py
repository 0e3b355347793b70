"""The big-data merge: a Lambda handler that adds up the batches' sums into totals by key.

Its event: {"bucket", "manifest": the ResultWriter's manifest key, "groupBy"}. It reads the
manifest and the SUCCEEDED files from the object store (boto3 on AWS, the store directory in
STATESMAN_STORE under Statesman) and returns the totals, largest amount first.
"""
import json
import os


def read_object(bucket, key):
    root = os.environ.get("STATESMAN_STORE")
    if root:
        with open(os.path.join(root, bucket, key), "rb") as source:
            return source.read()
    import boto3  # on AWS Lambda

    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def handler(event, context):
    manifest = json.loads(read_object(event["bucket"], event["manifest"]))
    totals = {}
    rows = batches = 0
    for entry in manifest["ResultFiles"]["SUCCEEDED"]:
        for line in read_object(manifest["DestinationBucket"], entry["Key"]).decode("utf-8").splitlines():
            if not line.strip():
                continue
            result = json.loads(line)
            batches += 1
            rows += result["rows"]
            for key, group in result["groups"].items():
                total = totals.setdefault(key, {"orders": 0, "quantity": 0, "amountCents": 0})
                for field in total:
                    total[field] += group[field]
    ranked = sorted(totals.items(), key=lambda item: (-item[1]["amountCents"], item[0]))
    return {
        "rows": rows, "batches": batches, "groupBy": event["groupBy"],
        "totals": [{"key": key, "orders": t["orders"], "quantity": t["quantity"], "amount": "%d.%02d" % divmod(t["amountCents"], 100)} for key, t in ranked],
    }
