"""The Kinesis output against moto's server over real HTTP, with and without partial failures."""

from __future__ import annotations

import itertools
import os
import random
from collections import Counter
from pathlib import Path
from unittest import mock

import boto3
import pytest

from datagen.cli import main
from datagen.delivery import Delivery
from datagen.kinesis import MAX_BYTES_PER_REQUEST, MAX_RECORDS_PER_REQUEST, KinesisError, KinesisWriter
from tests.support.contract import STREAMS
from tests.support.faulty_proxy import FaultyKinesisProxy

SIZE = [
    "--customers",
    "300",
    "--sales",
    "3000",
    "--seed",
    "11",
    "--quiet",
    "--bad-rate",
    "0.01",
    "--duplicates-rate",
    "0.02",
]
_names = itertools.count()


def kinesis(url: str):
    return boto3.client("kinesis", endpoint_url=url, region_name="us-east-1")


def create_streams(url: str, shards: int = 2) -> dict[str, str]:
    """Fresh streams (unique names, as the moto server lives for the whole session)."""
    client = kinesis(url)
    names = {s: f"{s}-{next(_names)}" for s in STREAMS}
    for name in names.values():
        client.create_stream(StreamName=name, ShardCount=shards)
        client.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    return names


def read_stream(url: str, name: str) -> list[tuple[str, bytes]]:
    """Every record of every shard, as (partition key, data), each shard in sequence order."""
    client = kinesis(url)
    records = []
    for shard in client.list_shards(StreamName=name)["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = client.get_records(ShardIterator=iterator, Limit=10_000)
            records += [(r["PartitionKey"], r["Data"]) for r in page["Records"]]
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return records


def bus_records(tmp_path: Path) -> dict[str, list[bytes]]:
    """The same run written to the local bus: what Kinesis must hold."""
    assert main(["--bus", str(tmp_path / "bus"), "--reference", str(tmp_path / "ref"), *SIZE]) == 0
    return {
        s: [line for f in sorted((tmp_path / "bus" / s).glob("*.jsonl")) for line in f.read_bytes().splitlines()]
        for s in STREAMS
    }


def send_to_kinesis(url: str, names: dict[str, str], tmp_path: Path) -> int:
    """`python -m datagen --kinesis`, finding the endpoint `url` the standard way (AWS_ENDPOINT_URL_KINESIS)."""
    streams = [f"--{s}-stream={names[s]}" for s in STREAMS]
    with mock.patch.dict(os.environ, {"AWS_ENDPOINT_URL_KINESIS": url}):
        return main(["--kinesis", "--region", "us-east-1", *streams, "--reference", str(tmp_path / "ref-k"), *SIZE])


def by_key_in_order(records: list[tuple[str, bytes]]) -> dict[str, list[bytes]]:
    grouped: dict[str, list[bytes]] = {}
    for key, data in records:
        grouped.setdefault(key, []).append(data)
    return grouped


def test_round_trips_every_record_through_kinesis(moto_url, tmp_path):
    expected = bus_records(tmp_path)
    names = create_streams(moto_url)
    assert send_to_kinesis(moto_url, names, tmp_path) == 0
    for stream in STREAMS:
        stored = read_stream(moto_url, names[stream])
        assert Counter(data for _, data in stored) == Counter(expected[stream])
        # one partition key per entity, so an entity's versions keep their order within the shard
        keys = {data: key for key, data in stored}
        assert by_key_in_order(stored) == by_key_in_order([(keys[d], d) for d in expected[stream]])


def test_partial_failures_are_retried_without_loss_or_duplicates(moto_url, tmp_path):
    expected = bus_records(tmp_path)
    names = create_streams(moto_url)
    chooser = random.Random(5)

    def policy(records: list, call: int) -> set[int]:
        """The first three calls fail a third of their records; afterwards a tenth of them, at random."""
        return {i for i in range(len(records)) if (i % 3 == 0 if call <= 3 else chooser.random() < 0.1)}

    proxy = FaultyKinesisProxy(moto_url, policy)
    try:
        assert send_to_kinesis(proxy.url, names, tmp_path) == 0
    finally:
        proxy.close()
    assert sum(call["failed"] for call in proxy.put_records_calls) > 100
    for stream in STREAMS:
        stored = [data for _, data in read_stream(moto_url, names[stream])]
        assert Counter(stored) == Counter(expected[stream])


def test_batches_stay_within_the_api_limits(moto_url):
    names = create_streams(moto_url, shards=1)
    proxy = FaultyKinesisProxy(moto_url, lambda records, call: set())
    big = b'{"pad":"' + b"x" * 40_000 + b'"}'  # 130 of these exceed 5 MiB before 500 records
    deliveries = [Delivery(i, "sales", f"k{i}", big) for i in range(300)]
    deliveries += [Delivery(i, "customers", f"c{i}", b'{"n":%d}' % i) for i in range(1200)]
    try:
        writer = KinesisWriter(kinesis(proxy.url), names)
        for delivery in deliveries:
            writer.write(delivery)
        stats = writer.close()
    finally:
        proxy.close()
    calls = proxy.put_records_calls
    assert all(c["records"] <= MAX_RECORDS_PER_REQUEST for c in calls)
    assert max(c["records"] for c in calls) == MAX_RECORDS_PER_REQUEST
    assert all(c["bytes"] <= MAX_BYTES_PER_REQUEST for c in calls)
    assert max(c["bytes"] for c in calls) > MAX_BYTES_PER_REQUEST - len(big)  # the large ones split by size
    assert stats["records"] == 1500
    assert len(read_stream(moto_url, names["sales"])) == 300


def test_gives_up_loudly_when_records_keep_failing(moto_url):
    names = create_streams(moto_url, shards=1)
    proxy = FaultyKinesisProxy(moto_url, lambda records, call: {0})
    try:
        writer = KinesisWriter(kinesis(proxy.url), names, max_attempts=3, sleep=lambda s: None)
        writer.write(Delivery(0, "sales", "1", b'{"a":1}'))
        writer.write(Delivery(0, "sales", "2", b'{"a":2}'))
        with pytest.raises(KinesisError, match="1 sales records still failed after 3 attempts"):
            writer.close()
    finally:
        proxy.close()
    assert [c["records"] for c in proxy.put_records_calls] == [2, 1, 1]


def test_refuses_a_record_over_one_mebibyte():
    writer = KinesisWriter(client=None, stream_names={"sales": "sales"})
    with pytest.raises(KinesisError, match="exceeds Kinesis's 1 MiB limit"):
        writer.write(Delivery(0, "sales", "1", b"x" * (1024 * 1024 + 1)))
