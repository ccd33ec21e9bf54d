"""The curated sink on `s3://` through Flink's S3 filesystem (the Hadoop one, whose recoverable
writer gives the file sink its exactly-once), against moto's S3 server, found through the SDKs'
standard variable `AWS_ENDPOINT_URL_S3`: a run killed mid-way and resumed from its checkpoint
leaves exactly the oracle's orders and dead letters, and nothing else visible in the bucket."""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import boto3
import pytest

from tests.support.job_output import dead_letter_bytes, differences, read_dead_letters, read_orders
from tests.support.job_runs import SALES_TO_KILL_IN, generate, job_command, latest_checkpoint, run_job, start_job, stop
from tests.support.order_oracle import expected_output
from tests.support.s3_objects import download, object_keys

BUCKET = "curated"


@pytest.fixture(scope="module")
def killed_and_resumed_into_s3(moto_url, tmp_path_factory):
    root = generate(tmp_path_factory.mktemp("s3"), customers=300, sales=SALES_TO_KILL_IN, seed=21)
    s3 = boto3.client("s3", endpoint_url=moto_url)
    s3.create_bucket(Bucket=BUCKET)
    environment = {**os.environ, "AWS_ENDPOINT_URL_S3": moto_url}
    checkpoints = root / "checkpoints"
    options = ("--checkpoint-dir", checkpoints.as_uri(), "--checkpoint-interval", "1")
    out = f"s3://{BUCKET}/run"
    job = start_job(job_command(root, *options, out=out), environment)
    try:
        deadline = time.monotonic() + 300
        while not (latest_checkpoint(checkpoints) and part_files(s3, "run/orders/")):
            assert job.poll() is None, "the job ended before it could be killed"
            assert time.monotonic() < deadline, "no checkpoint with committed orders in time"
            time.sleep(0.1)
    finally:
        stop(job)
    committed_before_kill = len(part_files(s3, "run/orders/"))
    run_job(root, *options, "--from-checkpoint", str(latest_checkpoint(checkpoints)), out=out, env=environment)
    keys = download(s3, BUCKET, "run/", root / "out")
    return root, keys, committed_before_kill


def part_files(s3, prefix: str) -> list[str]:
    return [key for key in object_keys(s3, BUCKET, prefix) if Path(key).name.startswith("part-")]


def test_the_orders_in_s3_after_a_kill_and_a_resume_equal_the_oracle(killed_and_resumed_into_s3):
    root, _, committed_before_kill = killed_and_resumed_into_s3
    assert committed_before_kill > 0
    oracle = expected_output(root / "bus", root / "ref")
    orders = read_orders(root / "out")
    assert differences(oracle, orders) == []
    assert len(orders) == len(oracle.orders)


def test_the_dead_letters_in_s3_after_a_kill_and_a_resume_are_each_bad_record_once(killed_and_resumed_into_s3):
    root, _, _ = killed_and_resumed_into_s3
    oracle = expected_output(root / "bus", root / "ref")
    dead = read_dead_letters(root / "out")
    assert Counter((d["stream"], dead_letter_bytes(d)) for d in dead) == oracle.dead_letters


def test_only_committed_part_files_and_partition_markers_are_visible(killed_and_resumed_into_s3):
    """The killed run's uploads in progress are multipart uploads never completed (the bucket's
    lifecycle rule aborts them in AWS), or the small in-progress parts Flink's S3 writer keeps as
    objects named `_part-..._tmp_...`: hidden by their leading `_`, as readers of the lake (the job,
    Athena) skip such names. Every visible object is a committed part file or a partition marker."""
    _, keys, _ = killed_and_resumed_into_s3
    names = {Path(key).name for key in keys}
    visible = {name for name in names if not name.startswith(("_", ".")) or name == "_SUCCESS"}
    assert visible and all(name.startswith("part-") or name == "_SUCCESS" for name in visible), sorted(visible)[:10]
    assert all(name.startswith("_part-") and "_tmp_" in name for name in names - visible), sorted(names - visible)
    assert {key.split("/")[1] for key in keys} == {"orders", "dlq"}
