"""The custom resource `FlinkApplicationCode`: SAM uploads Lambda code but not MSF application code,
so the application zip travels inside this function's package and the function copies it to the
artifacts bucket, under a key made of its SHA-256. The MSF application reads it from there, at the
version written (Fn::GetAtt FileKey and ObjectVersion: the bucket is versioned, so nobody who can
write the key can swap the code under a running application); a new zip means a new key, which
updates (and restarts) the application.

ResourceProperties: Bucket, Prefix (of the key), CodeVersion (the function version: it changes
with the package, so CloudFormation sends an Update). Delete removes the object it wrote: after
an update, the previous package; with the stack, the last one."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import boto3

from cfn_response import handle

PACKAGE = Path(__file__).resolve().parent.parent / "flink-application.zip"  # beside msf_package/
LOG = logging.getLogger(__name__)
LOG.setLevel(logging.INFO)


def handler(event: dict, context: object) -> None:
    handle(event, publish)


def publish(event: dict) -> tuple[str, dict]:
    s3 = boto3.client("s3")
    if event["RequestType"] == "Delete":
        physical_id = event["PhysicalResourceId"]
        if physical_id.startswith("s3://"):  # else a create that failed before writing anything
            bucket, key = physical_id[len("s3://") :].split("/", 1)
            s3.delete_object(Bucket=bucket, Key=key)
            LOG.info("deleted %s", physical_id)
        return physical_id, {}
    properties = event["ResourceProperties"]
    digest = hashlib.sha256(PACKAGE.read_bytes()).hexdigest()
    key = f"{properties['Prefix']}streaming-orders-{digest[:20]}.zip"
    with PACKAGE.open("rb") as package:
        written = s3.put_object(Bucket=properties["Bucket"], Key=key, Body=package)
    LOG.info("published %s (%d bytes) to s3://%s/%s", PACKAGE.name, PACKAGE.stat().st_size, properties["Bucket"], key)
    return f"s3://{properties['Bucket']}/{key}", {
        "FileKey": key,
        "ObjectVersion": written["VersionId"],
        "Sha256": digest,
    }
