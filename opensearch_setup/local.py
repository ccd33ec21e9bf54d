"""`python -m opensearch_setup.local [--port N]`: a real single-node OpenSearch on 127.0.0.1 with the
security plugin (field-level security and masking), from the Maven Central jars that
scripts/setup.sh builds into java/opensearch-local/. It prints one JSON line, {"url", "username",
"password"} of the admin, once the node answers, keeps its data in a temporary folder and deletes
it on SIGTERM or Ctrl-C. The index-management plugin (ISM) is not on Maven Central: the node runs
without it (docs/opensearch.md)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

MODULE = Path(__file__).resolve().parent.parent / "java" / "opensearch-local" / "target"
MAIN_CLASS = "streamingorders.opensearch.LocalOpenSearch"
START_TIMEOUT_SECONDS = 180


class LocalClusterError(Exception):
    pass


@dataclass(frozen=True)
class LocalCluster:
    url: str
    username: str
    password: str


@dataclass(frozen=True)
class WritePool:
    """The write thread pool; a small one answers a burst of bulk requests with 429."""

    threads: int | None = None  # OpenSearch's default: one per processor
    queue_size: int = 10_000


def command(port: int, write_pool: WritePool = WritePool(), heap: str = "1g") -> list[str]:
    if not (MODULE / "lib").is_dir():
        raise LocalClusterError(f"{MODULE} is missing: run scripts/setup.sh (or `make setup`) to build it")
    arguments = ["--port", str(port), "--security-plugin", str(MODULE / "opensearch-security")]
    if write_pool.threads is not None:
        arguments += ["--write-threads", str(write_pool.threads)]
    arguments += ["--write-queue-size", str(write_pool.queue_size)]
    classpath = os.pathsep.join([str(MODULE / "lib" / "*"), str(MODULE / "opensearch-security" / "*")])
    return ["java", f"-Xms{heap}", f"-Xmx{heap}", "-cp", classpath, MAIN_CLASS, *arguments]


@contextmanager
def running(port: int = 0, write_pool: WritePool = WritePool(), heap: str = "1g") -> Iterator[LocalCluster]:
    """The node for the length of the block; stopped (and its folder deleted) after it."""
    process = subprocess.Popen(
        command(port, write_pool, heap), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stderr is not None  # both piped
    errors = process.stderr
    stderr: list[str] = []
    threading.Thread(target=lambda: stderr.extend(errors), daemon=True).start()
    try:
        yield _first_line(process, process.stdout, stderr)
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _first_line(process: subprocess.Popen, stdout: IO[str], stderr: list[str]) -> LocalCluster:
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT_SECONDS)
    if not lines or not lines[0]:
        process.kill()
        raise LocalClusterError(
            f"the local OpenSearch did not answer within {START_TIMEOUT_SECONDS} s: " + "".join(stderr)[-2000:]
        )
    return LocalCluster(**json.loads(lines[0]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m opensearch_setup.local",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--port", type=int, default=9200, help="the HTTP port on 127.0.0.1 (default 9200; 0: a free one)"
    )
    parser.add_argument(
        "--write-threads", type=int, help="the write thread pool's threads (default: one per processor)"
    )
    parser.add_argument(
        "--write-queue-size",
        type=int,
        default=10_000,
        help="the write thread pool's queue (default 10000; small values make bulks meet 429)",
    )
    parser.add_argument("--heap", default="1g", help="the JVM's heap (default 1g)")
    args = parser.parse_args(argv)
    try:
        java = command(args.port, WritePool(args.write_threads, args.write_queue_size), args.heap)
    except LocalClusterError as error:
        print(f"opensearch_setup.local: {error}", file=sys.stderr)
        return 1
    os.execvp(java[0], java)  # the JVM itself answers SIGTERM and Ctrl-C by stopping the node


if __name__ == "__main__":
    sys.exit(main())
