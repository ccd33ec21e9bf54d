"""The job on Kinesis: moto's Kinesis server, fed by `python -m datagen --kinesis`, found through
the SDKs' standard variable AWS_ENDPOINT_URL_KINESIS, the job watching the streams as in MSF; its
committed output compared with the oracle over the same records as the bus runs are.

A watching job never flushes the sales of its last out-of-orderness bound: each test ends its
streams with one record far in the future per shard (`end_streams`), which moves every watermark
past the data, and waits for the oracle's count of orders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import boto3
import pytest

from tests.support.job_output import committed, dead_letter_bytes, differences, read_dead_letters, read_orders
from tests.support.job_runs import latest_checkpoint, start_job, stop
from tests.support.kinesis_streams import (
    REGION,
    create_streams,
    end_streams,
    generate,
    open_shards,
    records_in,
    send,
    split,
)
from tests.support.moto_kinesis import give_moto_kinesis_resharding
from tests.support.order_oracle import expected_output


@pytest.fixture(scope="module")
def kinesis(moto_url):
    give_moto_kinesis_resharding()
    return boto3.client("kinesis", endpoint_url=moto_url, region_name=REGION)


def job_properties(root: Path, arns: dict[str, str], records_per_call: int = 500, idle_seconds: int = 30) -> Path:
    """The job on `arns`, its shards listed every second. The idle timeout stays at its default
    unless a test needs a stream to go idle: a shorter one can declare a stream idle before its
    first records (at the start, while the job waits for the generator), and the sales then go on
    without the customers that come after (docs/kinesis.md)."""
    properties = root / "properties.json"
    properties.write_text(
        json.dumps(
            [
                {
                    "PropertyGroupId": "job",
                    "PropertyMap": {"source": "kinesis", "idle_timeout_seconds": str(idle_seconds)},
                },
                {
                    "PropertyGroupId": "kinesis",
                    "PropertyMap": {
                        "region": REGION,
                        **{f"{stream}_stream_arn": arn for stream, arn in arns.items()},
                        "records_per_call": str(records_per_call),
                        "poll_interval_ms": "200",
                        "shard_discovery_seconds": "1",
                    },
                },
            ]
        )
    )
    return properties


def watching_job(root: Path, properties: Path, moto_url: str, *options: str) -> subprocess.Popen:
    """`python -m flink_app` on the streams, as MSF runs it (no --bus, so it keeps reading)."""
    command = [
        sys.executable,
        "-m",
        "flink_app",
        "--properties",
        str(properties),
        "--reference",
        str(root / "ref"),
        "--out",
        str(root / "out"),
        "--parallelism",
        "2",
        "--checkpoint-interval",
        "1",
        "--checkpoint-dir",
        (root / "checkpoints").as_uri(),
        *options,
    ]
    return start_job(command, {**os.environ, "AWS_ENDPOINT_URL_KINESIS": moto_url})


def committed_orders(root: Path) -> int:
    return sum(len(path.read_bytes().splitlines()) for path in committed(root / "out" / "orders"))


def wait_for_a_checkpoint(job: subprocess.Popen, root: Path, with_orders: bool = False) -> None:
    deadline = time.monotonic() + 240
    while not (latest_checkpoint(root / "checkpoints") and (committed_orders(root) or not with_orders)):
        assert job.poll() is None, "the job stopped"
        assert time.monotonic() < deadline, "no checkpoint in time"
        time.sleep(0.1)


def wait_for_orders(job: subprocess.Popen, root: Path, count: int, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while committed_orders(root) < count:
        assert job.poll() is None, "the job stopped"
        assert time.monotonic() < deadline, f"{committed_orders(root)} of {count} orders committed in {timeout} s"
        time.sleep(0.2)
    time.sleep(2)  # a duplicate would be committed by now


def watch_until_every_order(root: Path, properties: Path, moto_url: str, *options: str) -> None:
    """A watching job, stopped once it has committed the oracle's count of orders."""
    job = watching_job(root, properties, moto_url, *options)
    try:
        wait_for_orders(job, root, len(expected_output(root / "bus", root / "ref").orders))
    finally:
        stop(job)


def assert_output_is_the_oracles(root: Path) -> None:
    oracle = expected_output(root / "bus", root / "ref")
    orders = read_orders(root / "out")
    assert differences(oracle, orders) == []
    assert Counter((d["stream"], dead_letter_bytes(d)) for d in read_dead_letters(root / "out")) == oracle.dead_letters


def test_a_backlog_with_one_dense_shard_among_four_equals_the_oracle(kinesis, moto_url, tmp_path):
    """The sales stream has four shards, one of them with 85% of the hash keys, read from
    TRIM_HORIZON by two readers: the dense shard is far behind the others in event time while
    the backlog is read, and per-shard watermarks keep its records timely."""
    options = generate(tmp_path, customers=300, sales=8000, seed=31)
    arns = create_streams(kinesis, "dense")
    [whole] = open_shards(kinesis, arns["sales"])
    split(kinesis, arns["sales"], whole, 0.85)
    for at in (0.90, 0.95):
        sparse = max(open_shards(kinesis, arns["sales"]), key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]))
        split(kinesis, arns["sales"], sparse, at)
    send(moto_url, arns, options)
    held = {
        shard["ShardId"]: records_in(kinesis, arns["sales"], shard["ShardId"])
        for shard in open_shards(kinesis, arns["sales"])
    }
    assert len(held) == 4 and all(held.values()) and max(held.values()) > 0.8 * sum(held.values()), held
    end_streams(kinesis, arns)
    # the readers without a shard of the one-shard streams stop holding the others back after 10 s
    watch_until_every_order(tmp_path, job_properties(tmp_path, arns, idle_seconds=10), moto_url)
    assert_output_is_the_oracles(tmp_path)


def test_shards_split_while_the_job_reads_lose_nothing_and_keep_each_keys_order(kinesis, moto_url, tmp_path):
    """The generator sends at a steady rate while the job reads; every stream's shard is split
    twice on the way: the job reads each parent to its end before its children."""
    options = generate(tmp_path, customers=300, sales=6000, seed=32)
    arns = create_streams(kinesis, "split")
    job = watching_job(tmp_path, job_properties(tmp_path, arns), moto_url)
    try:
        wait_for_a_checkpoint(job, tmp_path)  # the job is reading
        sender = threading.Thread(target=send, args=(moto_url, arns, options, "--rate", "2500"))
        sender.start()
        for at in (0.5, 0.25):
            time.sleep(1.0)
            for arn in arns.values():
                split(
                    kinesis,
                    arn,
                    min(open_shards(kinesis, arn), key=lambda s: int(s["HashKeyRange"]["StartingHashKey"])),
                    at,
                )
        sender.join()
        end_streams(kinesis, arns)
        assert all(len(open_shards(kinesis, arn)) == 3 for arn in arns.values())
        wait_for_orders(job, tmp_path, len(expected_output(tmp_path / "bus", tmp_path / "ref").orders))
    finally:
        stop(job)
    assert_output_is_the_oracles(tmp_path)


def test_killed_and_resumed_from_its_checkpoint_gives_exactly_the_oracles_output(kinesis, moto_url, tmp_path):
    options = generate(tmp_path, customers=300, sales=6000, seed=33)
    arns = create_streams(kinesis, "killed")
    send(moto_url, arns, options)
    end_streams(kinesis, arns)
    # 50 records a call, five calls a second: the sales take 24 s to read, the kill comes first. The
    # reader without a shard stops holding the others back after 5 s (the backlog is there from the
    # start): by then the orders flow.
    properties = job_properties(tmp_path, arns, records_per_call=50, idle_seconds=5)
    expected = len(expected_output(tmp_path / "bus", tmp_path / "ref").orders)
    job = watching_job(tmp_path, properties, moto_url)
    try:
        wait_for_a_checkpoint(job, tmp_path, with_orders=True)
    finally:
        stop(job)
    committed_before_kill = committed_orders(tmp_path)
    assert 0 < committed_before_kill < expected, "the kill did not happen mid-run"
    watch_until_every_order(
        tmp_path, properties, moto_url, "--from-checkpoint", str(latest_checkpoint(tmp_path / "checkpoints"))
    )
    assert_output_is_the_oracles(tmp_path)


def test_a_stream_that_stays_empty_does_not_hold_the_others_back(kinesis, moto_url, tmp_path):
    """No address ever arrives: once its shard has been idle for idle_timeout_seconds, the sales
    are joined with their customers, each address listed in `missing`."""
    options = generate(tmp_path, customers=200, sales=3000, seed=34)
    for path in (tmp_path / "bus" / "addresses").glob("*.jsonl"):
        path.unlink()  # the oracle's input: no addresses either
    arns = create_streams(kinesis, "empty")
    elsewhere = create_streams(kinesis, "empty-elsewhere")["addresses"]
    send(moto_url, {**arns, "addresses": elsewhere}, options)  # the job's addresses stream gets nothing
    end_streams(kinesis, {stream: arns[stream] for stream in ("customers", "sales")})
    watch_until_every_order(tmp_path, job_properties(tmp_path, arns, idle_seconds=5), moto_url)
    assert_output_is_the_oracles(tmp_path)
    assert all(
        "bill_customer.address" in d["missing"] or d["bill_customer"] is None for d in read_orders(tmp_path / "out")
    )
