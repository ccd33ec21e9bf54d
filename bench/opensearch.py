"""The job's OpenSearch sink against the real local node (opensearch_setup.local), side by side with
a plain bulk load of the same documents by opensearch-py's `helpers.parallel_bulk`, in one run.

The documents are the curated orders of a job run over a generated dataset. After one unmeasured
load that warms the node up, each round loads them
into an empty first index twice: once with parallel_bulk (as many threads as the sink has requests
in flight in all, the same batch size), once with a job that reads them back and writes them
through the sink alone. The node runs on one core and the loaders on the other, so that what a
loader costs itself (a Flink runtime costs more than a Python client) does not take CPU from the
node it measures. The pace of each is measured the same way, from the node's own count of
indexed documents (index stats, sampled every 0.2 s), from the first document to the last; the
sink's whole run (from submission: JVM and MiniCluster start included) is printed beside it.
Target: the sink reaches at least 0.9 of the plain load's documents/s.

    .venv/bin/python -m bench.opensearch [--sales 100000] [--rounds 3] [--in-flight 4] [--shared-cores]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from opensearch_setup.bootstrap import FIRST_INDEX, WRITE_ALIAS, Parameters, bootstrap
from opensearch_setup.http import JsonHttp
from opensearch_setup.local import LocalCluster, running
from tests.support.opensearch_node import admin

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench" / "opensearch"
PARALLELISM = 2
BATCH = 1000
NODE_CPU, LOADER_CPU = 0, 1  # the node on one core, the loader on the other: a loader's own CPU does not slow the node


def curated_documents(sales: int) -> Path:
    """The folder of the curated orders of a job run over `sales` generated sale lines."""
    out = WORK / f"out-{sales}"
    if not (out / "orders").is_dir():
        data = WORK / f"data-{sales}"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "datagen",
                "--bus",
                str(data / "bus"),
                "--reference",
                str(data / "ref"),
                "--customers",
                str(max(100, sales // 20)),
                "--sales",
                str(sales),
                "--seed",
                "7",
                "--quiet",
            ],
            cwd=ROOT,
            check=True,
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "flink_app",
                "--bus",
                str(data / "bus"),
                "--reference",
                str(data / "ref"),
                "--out",
                str(out),
                "--bounded",
                "--parallelism",
                str(PARALLELISM),
            ],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return out / "orders"


def committed_lines(orders: Path) -> list[bytes]:
    return [
        line
        for path in sorted(orders.rglob("part-*"))
        if not path.name.startswith(".")
        for line in path.read_bytes().splitlines()
    ]


class IndexingWindow:
    """Samples the first index's indexed-document count; the time from the first to the `expected`-th."""

    def __init__(self, http: JsonHttp, expected: int):
        self.http, self.expected = http, expected
        self.first = self.last = None
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while True:
            stats = self.http.get(f"/{FIRST_INDEX}/_stats/indexing")
            total = stats["_all"]["primaries"]["indexing"]["index_total"] if stats else 0
            now = time.monotonic()
            if total and self.first is None:
                self.first = now
            if total >= self.expected:
                self.last = now
                return
            time.sleep(0.2)

    def seconds(self, timeout: float = 600) -> float:
        self._thread.join(timeout)
        if self.last is None:
            raise RuntimeError(f"the node did not index {self.expected:,} documents in time")
        return self.last - self.first


def check_indexed(http: JsonHttp, expected: int) -> None:
    """Every document is in the index under its own _id (the stats count overwrites too)."""
    http.send("POST", f"/{FIRST_INDEX}/_refresh")
    found = http.send("POST", f"/{FIRST_INDEX}/_count")["count"]
    if found != expected:
        raise RuntimeError(f"{found:,} documents in the index, {expected:,} expected")


def empty_first_index(http: JsonHttp) -> None:
    http.send("DELETE", f"/{FIRST_INDEX}")
    http.send("PUT", f"/{FIRST_INDEX}", {"aliases": {WRITE_ALIAS: {"is_write_index": True}}})


def line_id(line: bytes) -> str:
    """The order document's first field, cut out by position as the sink-alone job does."""
    start = len(b'{"line_id":"')
    return line[start : line.index(b'"', start)].decode()


def plain_load(cluster: LocalCluster, lines: list[bytes], threads: int) -> float:
    """Seconds parallel_bulk takes to index the documents, by the node's count."""
    from opensearchpy import OpenSearch
    from opensearchpy.helpers import parallel_bulk

    client = OpenSearch(cluster.url, http_auth=(cluster.username, cluster.password), timeout=120)
    actions = ({"_index": WRITE_ALIAS, "_id": line_id(line), "_source": line.decode()} for line in lines)
    window = IndexingWindow(admin(cluster), len(lines))
    failed = sum(
        not ok for ok, _ in parallel_bulk(client, actions, thread_count=threads, chunk_size=BATCH, raise_on_error=False)
    )
    if failed:
        raise RuntimeError(f"parallel_bulk: {failed} documents refused")
    return window.seconds()


def sink_load(cluster: LocalCluster, orders: Path, expected: int, in_flight: int) -> tuple[float, float]:
    """(seconds by the node's count, seconds of the whole job) of the sink writing the documents."""
    properties = WORK / "properties.json"
    properties.write_text(
        json.dumps(
            [
                {
                    "PropertyGroupId": "opensearch",
                    "PropertyMap": {
                        "url": cluster.url,
                        "auth": "basic",
                        "username": cluster.username,
                        "password": cluster.password,
                        "bulk_max_documents": str(BATCH),
                        "max_in_flight_requests": str(in_flight),
                    },
                }
            ]
        )
    )
    window = IndexingWindow(admin(cluster), expected)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "bench.opensearch_sink_alone", str(orders), str(properties), str(PARALLELISM)],
        cwd=ROOT,
        check=True,
    )
    return window.seconds(), time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sales", type=int, default=100_000, help="sale lines generated (default 100000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--in-flight",
        type=int,
        default=4,
        help="the sink's requests in flight per subtask (default 4, its default); parallel_bulk "
        "gets as many threads as the sink has requests in flight in all",
    )
    parser.add_argument(
        "--shared-cores",
        dest="pin",
        action="store_false",
        help="do not pin the node and the loaders to a core each: they then compete for the cores",
    )
    args = parser.parse_args()
    orders = curated_documents(args.sales)
    lines = committed_lines(orders)
    megabytes = sum(map(len, lines)) / 2**20
    print(f"{len(lines):,} curated documents ({megabytes:,.0f} MiB)")
    plain, sink = [], []
    if args.pin:
        os.sched_setaffinity(0, {LOADER_CPU})  # this process, its threads and the sink's job
    with running(heap="2g") as cluster:
        if args.pin:
            node = int(subprocess.check_output(["pgrep", "-f", "-n", "streamingorders.opensearch.LocalOpenSearch"]))
            subprocess.run(
                ["taskset", "--all-tasks", "--cpu-list", "--pid", str(NODE_CPU), str(node)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        http = admin(cluster)
        bootstrap(http, None, Parameters(replicas=0))
        empty_first_index(http)
        plain_load(cluster, lines, PARALLELISM * args.in_flight)  # warms the node up; not counted
        for round_number in range(1, args.rounds + 1):
            empty_first_index(http)
            plain.append(len(lines) / plain_load(cluster, lines, PARALLELISM * args.in_flight))
            check_indexed(http, len(lines))
            empty_first_index(http)
            window, whole = sink_load(cluster, orders, len(lines), args.in_flight)
            check_indexed(http, len(lines))
            sink.append(len(lines) / window)
            print(
                f"round {round_number}: parallel_bulk {plain[-1]:,.0f} documents/s, the job's sink "
                f"{sink[-1]:,.0f} documents/s (its whole run {whole:.1f} s: {len(lines) / whole:,.0f}/s)"
            )
    ratio = statistics.median(sink) / statistics.median(plain)
    print(
        f"medians: parallel_bulk {statistics.median(plain):,.0f} documents/s, sink {statistics.median(sink):,.0f} "
        f"documents/s: ratio {ratio:.2f} (target at least 0.90) at parallelism {PARALLELISM}, "
        f"{args.in_flight} requests in flight per subtask, batches of {BATCH}, "
        + ("the node and the loaders on a core each" if args.pin else "node and loaders sharing the cores")
    )


if __name__ == "__main__":
    main()
