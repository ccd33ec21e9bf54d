"""`python scripts/teardown.py --stack NAME [--region R]`: deletes a deployed stack. Its buckets are
versioned, and CloudFormation cannot delete a bucket that still holds objects or old versions, so
this empties the stack's buckets (every version and delete marker) first, then deletes the stack and
waits for it to go. The access logs bucket stays (the template retains it)."""

from __future__ import annotations

import argparse
import sys

import boto3

BUCKET_OUTPUTS = ("LakeBucketName", "CuratedBucketName", "ArtifactsBucketName")


def empty_bucket(s3, bucket: str) -> int:
    """Deletes every object version and delete marker of `bucket`; how many."""
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if doomed:
            answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})
            if answer.get("Errors"):
                raise RuntimeError(f"{bucket}: could not delete {answer['Errors'][:3]}")
            deleted += len(doomed)
    return deleted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--region")
    arguments = parser.parse_args(argv)
    session = boto3.Session(region_name=arguments.region)
    cloudformation, s3 = session.client("cloudformation"), session.client("s3")
    [stack] = cloudformation.describe_stacks(StackName=arguments.stack)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    for bucket in (outputs[name] for name in BUCKET_OUTPUTS if name in outputs):
        print(f"{bucket}: {empty_bucket(s3, bucket)} object versions deleted")
    cloudformation.delete_stack(StackName=arguments.stack)
    print(f"deleting {arguments.stack} (the OpenSearch domain takes a while)...")
    cloudformation.get_waiter("stack_delete_complete").wait(
        StackName=arguments.stack, WaiterConfig={"Delay": 30, "MaxAttempts": 120}
    )
    print("deleted")
    if "AccessLogsBucketName" in outputs:
        print(f"kept {outputs['AccessLogsBucketName']}: the access logs, until they expire (LogRetentionDays)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
