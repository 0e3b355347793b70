"""The financial summary: a Lambda handler that counts what the screening did, from the
ResultWriter's files (boto3 on AWS, the store directory in STATESMAN_STORE under Statesman).

Its event: {"bucket", "manifest"}. Batches that failed (corrupt records) are in the FAILED
files with their error; the others say whether they were queued for review.
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


def records(bucket, entries):
    for entry in entries:
        for line in read_object(bucket, entry["Key"]).decode("utf-8").splitlines():
            if line.strip():
                yield json.loads(line)


def handler(event, context):
    manifest = json.loads(read_object(event["bucket"], event["manifest"]))
    files = manifest["ResultFiles"]
    summary = {"batches": 0, "transactions": 0, "queuedForReview": 0, "suspicious": 0, "sanctionHits": [], "unchecked": 0,
               "failedBatches": 0, "failedTransactions": 0, "errors": {}}
    for result in records(manifest["DestinationBucket"], files["SUCCEEDED"]):
        summary["batches"] += 1
        summary["transactions"] += result["transactions"]
        summary["suspicious"] += result["suspicious"]
        summary["queuedForReview"] += 1 if result["queued"] else 0
        summary["unchecked"] += 1 if result["sanctions"] == "unchecked" else 0
        summary["sanctionHits"].extend(result["sanctionHits"])
    for failed in records(manifest["DestinationBucket"], files["FAILED"]):
        summary["failedBatches"] += 1
        summary["failedTransactions"] += len(json.loads(failed["Input"])["Items"])
        summary["errors"][failed.get("Error", "?")] = summary["errors"].get(failed.get("Error", "?"), 0) + 1
    summary["sanctionHits"] = sorted(set(summary["sanctionHits"]))
    return summary
