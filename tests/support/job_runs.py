"""Running the job as a user does (`python -m flink_app`) on generated data: the helpers the job's
end-to-end tests share, and the one run that is killed mid-way and resumed from its checkpoint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from datagen.cli import main as datagen
from opensearch_setup.bootstrap import FIRST_INDEX
from opensearch_setup.local import LocalCluster
from tests.support.job_output import committed
from tests.support.opensearch_node import bootstrapped_with_writer, document_count, indexed_documents

ROOT = Path(__file__).resolve().parents[2]
# Every reality switched on, well above its default rate.
REALITIES = [
    "--customer-updates-rate",
    "0.3",
    "--moves-rate",
    "0.2",
    "--address-updates-rate",
    "0.3",
    "--out-of-order-rate",
    "0.3",
    "--late-rate",
    "0.01",
    "--duplicates-rate",
    "0.03",
    "--orphans-rate",
    "0.02",
    "--bad-rate",
    "0.01",
    "--unknown-addresses-rate",
    "0.05",
    "--unknown-references-rate",
    "0.02",
]
# The killed run's sales: enough that the kill lands long before the end of input, where the file
# sinks commit without a checkpoint (a restore from an earlier one would miss their files).
SALES_TO_KILL_IN = 50000


def generate(root: Path, customers: int, sales: int, seed: int, reference_formats: str = "csv") -> Path:
    """A bus and its reference data (CSV, the oracle's; `reference_formats` "csv,parquet" adds Parquet
    copies, which the job then reads with --reference-format)."""
    assert (
        datagen(
            [
                "--bus",
                str(root / "bus"),
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
                "--records-per-file",
                "1000",
                "--reference-formats",
                reference_formats,
                "--quiet",
                *REALITIES,
            ]
        )
        == 0
    )
    return root


def job_command(root: Path, *options: str, out: str | None = None) -> list[str]:
    """A bounded run over `root`'s bus and reference data, into `out` (default: root / "out")."""
    return [
        sys.executable,
        "-m",
        "flink_app",
        "--bus",
        str(root / "bus"),
        "--reference",
        str(root / "ref"),
        "--out",
        out or str(root / "out"),
        "--bounded",
        "--parallelism",
        "2",
        *options,
    ]


def run_job(
    root: Path, *options: str, out: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    finished = subprocess.run(
        job_command(root, *options, out=out), cwd=ROOT, capture_output=True, text=True, timeout=420, env=env
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    return finished


def start_job(command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    """The job in its own process group, so that `stop` reaches the MiniCluster and Python workers."""
    return subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env
    )


def stop(job: subprocess.Popen) -> None:
    os.killpg(job.pid, signal.SIGKILL)  # the client, the MiniCluster and the Python workers
    job.wait()


def latest_checkpoint(folder: Path) -> Path | None:
    """The newest completed checkpoint (one with its _metadata written)."""
    done = sorted(folder.glob("*/chk-*/_metadata"), key=lambda p: checkpoint_number(p.parent))
    return done[-1].parent if done else None


def checkpoint_number(checkpoint: Path | None) -> int:
    return int(checkpoint.name.removeprefix("chk-")) if checkpoint else 0


@dataclass
class KilledRun:
    root: Path  # the data, and the output under root / "out"
    indexed: dict[str, dict]  # the OpenSearch index's documents at the end, by _id (from the real local node)
    committed_before_kill: int  # orders committed to the curated folder when the run was killed
    indexed_before_kill: int  # documents in the index then


def run_killed_and_resumed(root: Path, cluster: LocalCluster) -> KilledRun:
    """A bounded run of SALES_TO_KILL_IN sales into both sinks (the curated folder and the real
    local OpenSearch, with batches so big and old that only checkpoint barriers flush them),
    killed as soon as a checkpoint has completed with output in both, and resumed from that
    checkpoint at another parallelism (3 instead of 2: keyed state is redistributed)."""
    generate(root, customers=300, sales=SALES_TO_KILL_IN, seed=12, reference_formats="csv,parquet")
    properties = root / "properties.json"
    properties.write_text(
        json.dumps(
            [
                {
                    "PropertyGroupId": "opensearch",
                    "PropertyMap": {
                        **bootstrapped_with_writer(cluster),
                        "bulk_max_documents": "1000000",
                        "bulk_max_mb": "500",
                        "flush_interval_ms": "3600000",
                    },
                }
            ]
        )
    )
    checkpoints = root / "checkpoints"
    options = (
        "--properties",
        str(properties),
        "--checkpoint-dir",
        checkpoints.as_uri(),
        "--checkpoint-interval",
        "1",
        "--reference-format",
        "parquet",
    )
    job = start_job(job_command(root, *options))
    try:
        deadline = time.monotonic() + 300
        while not (
            latest_checkpoint(checkpoints)
            and committed(root / "out" / "orders")
            and document_count(cluster, FIRST_INDEX)
        ):
            assert job.poll() is None, "the job ended before it could be killed"
            assert time.monotonic() < deadline, "no checkpoint with output in both sinks in time"
            time.sleep(0.2)
    finally:
        stop(job)
    committed_before = sum(len(p.read_text().splitlines()) for p in committed(root / "out" / "orders"))
    indexed_before = document_count(cluster, FIRST_INDEX)
    run_job(root, *options, "--from-checkpoint", str(latest_checkpoint(checkpoints)), "--parallelism", "3")
    return KilledRun(root, indexed_documents(cluster, FIRST_INDEX), committed_before, indexed_before)
