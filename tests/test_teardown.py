"""scripts/teardown.py empties versioned buckets (moto's S3 over HTTP) so that the stack can go."""

from __future__ import annotations

import boto3

from scripts.teardown import empty_bucket


def test_every_version_and_delete_marker_goes(moto_url):
    s3 = boto3.client("s3", endpoint_url=moto_url)
    s3.create_bucket(Bucket="curated-x")
    s3.put_bucket_versioning(Bucket="curated-x", VersioningConfiguration={"Status": "Enabled"})
    for key in ("orders/dt=2026-11-26/part-0", "dlq/part-0"):
        s3.put_object(Bucket="curated-x", Key=key, Body=b"1")
        s3.put_object(Bucket="curated-x", Key=key, Body=b"2")
    s3.delete_object(Bucket="curated-x", Key="dlq/part-0")  # a delete marker on top of two versions
    assert empty_bucket(s3, "curated-x") == 5
    listing = s3.list_object_versions(Bucket="curated-x")
    assert not listing.get("Versions") and not listing.get("DeleteMarkers")
    s3.delete_bucket(Bucket="curated-x")  # what CloudFormation does next
