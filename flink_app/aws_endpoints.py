"""The AWS endpoints the AWS SDKs would use, from their standard variables: `AWS_ENDPOINT_URL_<SERVICE>`,
else `AWS_ENDPOINT_URL`, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true. One variable points
the whole pipeline at an emulator (moto, LocalStack); with none set, every client uses the region's
AWS endpoint. boto3 (datagen, the reference data, the bootstrap) reads these variables itself; this
module hands them to the parts that do not: Flink's S3 filesystem and the Kinesis source."""

from __future__ import annotations

import os


def endpoint_url(service: str) -> str | None:
    """The configured endpoint of `service` (its variable suffix: S3, KINESIS, ...), or None."""
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return None
    return os.environ.get(f"AWS_ENDPOINT_URL_{service}") or os.environ.get("AWS_ENDPOINT_URL") or None


def region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


def s3_filesystem_settings() -> dict[str, str]:
    """Flink's S3 filesystem settings for a configured S3 endpoint (path-style addressing, as
    emulators need); none for AWS itself."""
    url = endpoint_url("S3")
    if url is None:
        return {}
    return {"s3.endpoint": url, "s3.path.style.access": "true", "s3.endpoint.region": region() or "us-east-1"}
