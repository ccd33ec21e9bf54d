"""Kinesis source benchmark: the records/s the job reads from moto's Kinesis server at parallelism 2,
beside a bounded run over the same records on the local bus, in one run.

    .venv/bin/python -m bench.kinesis [--customers N] [--sales N] [--shards N] [--parallelism N]

The generator writes one dataset to the bus and sends the same records to Kinesis
(`python -m datagen --kinesis`, streams of `--shards` shards each, then a last record per shard far
in the future, which moves every watermark past the data). Both runs are timed from the command's
start (JVM start-up included) to the last order committed: the bus run until it exits, the Kinesis
run (watching, as in MSF) until the curated folder holds every order. The figure is all records
read (customers, addresses, sales) over that time. moto is a Python server answering one request
at a time on this machine's two cores: the Kinesis figure is a floor, not what Kinesis gives.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

from tests.support.job_output import committed
from tests.support.kinesis_streams import REGION, STREAMS, end_streams, generate, send

ROOT = Path(__file__).resolve().parent.parent


def committed_orders(out: Path) -> int:
    return sum(len(path.read_bytes().splitlines()) for path in committed(out / "orders"))


def bus_records(bus: Path) -> int:
    return sum(len(path.read_bytes().splitlines()) for stream in STREAMS for path in (bus / stream).glob("*.jsonl"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.kinesis", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--sales", type=int, default=100_000)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--parallelism", type=int, default=2)
    arguments = parser.parse_args(argv)
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": REGION})
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    try:
        with tempfile.TemporaryDirectory(prefix="bench-kinesis-") as scratch:
            root = Path(scratch)
            options = generate(root, arguments.customers, arguments.sales, seed=1)
            records = bus_records(root / "bus")
            kinesis = boto3.client("kinesis", endpoint_url=moto_url, region_name=REGION)
            arns = {}
            for stream in STREAMS:
                kinesis.create_stream(StreamName=f"bench-{stream}", ShardCount=arguments.shards)
                arns[stream] = kinesis.describe_stream_summary(StreamName=f"bench-{stream}")[
                    "StreamDescriptionSummary"
                ]["StreamARN"]
            started = time.monotonic()
            send(moto_url, arns, options)
            end_streams(kinesis, arns)
            print(f"sent {records:,} records to Kinesis in {time.monotonic() - started:.1f} s")
            common = [
                "--reference",
                str(root / "ref"),
                "--parallelism",
                str(arguments.parallelism),
                "--checkpoint-interval",
                "2",
            ]
            orders = bus_run(root, common)
            bus_seconds = orders.pop()
            kinesis_seconds = kinesis_run(root, common, arns, moto_url, orders[0])
    finally:
        server.stop()
    print(f"{'source':<8} {'records':>10} {'seconds':>8} {'records/s':>10}")
    for name, seconds in (("bus", bus_seconds), ("kinesis", kinesis_seconds)):
        print(f"{name:<8} {records:>10,} {seconds:>8.1f} {records / seconds:>10,.0f}")
    print(f"kinesis / bus: {bus_seconds / kinesis_seconds:.2f}")
    return 0


def bus_run(root: Path, common: list[str]) -> list[float]:
    """The bounded bus run: [orders committed, seconds]."""
    out = root / "out-bus"
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "flink_app", "--bus", str(root / "bus"), "--out", str(out), "--bounded", *common],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return [committed_orders(out), time.monotonic() - started]


def kinesis_run(root: Path, common: list[str], arns: dict[str, str], moto_url: str, orders: int) -> float:
    """Seconds until the watching Kinesis run has committed `orders` orders."""
    out = root / "out-kinesis"
    properties = root / "properties.json"
    properties.write_text(
        json.dumps(
            [
                {"PropertyGroupId": "job", "PropertyMap": {"source": "kinesis"}},
                {
                    "PropertyGroupId": "kinesis",
                    "PropertyMap": {"region": REGION, **{f"{stream}_stream_arn": arn for stream, arn in arns.items()}},
                },
            ]
        )
    )
    started = time.monotonic()
    job = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flink_app",
            "--properties",
            str(properties),
            "--out",
            str(out),
            "--checkpoint-dir",
            (root / "checkpoints").as_uri(),
            *common,
        ],
        cwd=ROOT,
        env={**os.environ, "AWS_ENDPOINT_URL_KINESIS": moto_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while committed_orders(out) < orders:
            if job.poll() is not None:
                raise SystemExit(f"the Kinesis run stopped (exit {job.returncode})")
            time.sleep(0.2)
        return time.monotonic() - started
    finally:
        os.killpg(job.pid, 9)
        job.wait()


if __name__ == "__main__":
    sys.exit(main())
