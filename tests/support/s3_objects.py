"""Objects of an S3 bucket (moto's server) read back as the local sink lays out its files."""

from __future__ import annotations

from pathlib import Path


def object_keys(s3, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


def download(s3, bucket: str, prefix: str, folder: Path) -> list[str]:
    """Every object under `prefix` into `folder` (its key less the prefix); the keys."""
    keys = object_keys(s3, bucket, prefix)
    for key in keys:
        path = folder / key.removeprefix(prefix)
        path.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(path))
    return keys
