"""Kinesis streams on moto's server for the job's tests: streams of one shard, resharding, the
generator's records sent with `python -m datagen --kinesis` (the same records as the bus the oracle
reads), and a last record per stream that moves every watermark past the data."""

from __future__ import annotations

import json
import os
from pathlib import Path
from unittest import mock

from datagen.cli import main as datagen
from tests.support.job_runs import REALITIES

STREAMS = ("customers", "addresses", "sales")
REGION = "us-east-1"
HASH_SPACE = 2**128
END = "2100-01-01T00:00:00Z"  # the streams' last records (`end_streams`)


def create_streams(kinesis, prefix: str) -> dict[str, str]:
    """A stream of one shard per stream: its ARN by stream."""
    arns = {}
    for stream in STREAMS:
        name = f"{prefix}-{stream}"
        kinesis.create_stream(StreamName=name, ShardCount=1)
        arns[stream] = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    return arns


def open_shards(kinesis, arn: str) -> list[dict]:
    shards = kinesis.list_shards(StreamARN=arn)["Shards"]
    return [s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]


def records_in(kinesis, arn: str, shard_id: str) -> int:
    iterator = kinesis.get_shard_iterator(StreamARN=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    return len(kinesis.get_records(StreamARN=arn, ShardIterator=iterator, Limit=10_000)["Records"])


def split(kinesis, arn: str, shard: dict, at: float) -> None:
    """Splits `shard` at the fraction `at` of the whole hash key space."""
    kinesis.split_shard(
        StreamName=stream_name(arn), ShardToSplit=shard["ShardId"], NewStartingHashKey=str(int(HASH_SPACE * at))
    )


def generate(root: Path, customers: int, sales: int, seed: int, reference_formats: str = "csv") -> list[str]:
    """The bus the oracle reads; the options that send the same records to Kinesis."""
    options = [
        "--reference",
        str(root / "ref"),
        "--customers",
        str(customers),
        "--sales",
        str(sales),
        "--seed",
        str(seed),
        "--days",
        "2",
        "--reference-formats",
        reference_formats,
        "--quiet",
        *REALITIES,
    ]
    assert datagen(["--bus", str(root / "bus"), "--records-per-file", "1000", *options]) == 0
    return options


def stream_name(arn: str) -> str:
    return arn.split("/")[-1]


def send(moto_url: str, arns: dict[str, str], options: list[str], *extra: str) -> None:
    """`python -m datagen --kinesis` with the same options as the bus."""
    streams = [f"--{stream}-stream={stream_name(arn)}" for stream, arn in arns.items()]
    with mock.patch.dict(os.environ, {"AWS_ENDPOINT_URL_KINESIS": moto_url}):
        assert datagen(["--kinesis", "--region", REGION, *streams, *options, *extra]) == 0


def end_streams(kinesis, arns: dict[str, str]) -> None:
    """One valid record per open shard of each stream, after every other: its time moves the
    watermark of every shard past the data."""
    ending = {
        "customers": {"customer_id": "end", "address_id": "end", "customer_datetime": END},
        "addresses": {"address_id": "end", "address_datetime": END},
        "sales": {
            "order_id": 0,
            "item_id": 0,
            "bill_customer_id": "end",
            "ship_customer_id": "end",
            "sale_datetime": END,
        },
    }
    for stream, arn in arns.items():
        for shard in open_shards(kinesis, arn):
            kinesis.put_record(
                StreamARN=arn,
                PartitionKey="end",
                Data=json.dumps(ending[stream]).encode(),
                ExplicitHashKey=shard["HashKeyRange"]["StartingHashKey"],
            )
