"""Job benchmark: a bounded run of `python -m flink_app` over the fixed dataset of bench.datagen
(20k customers, 1M sale lines; generated first if missing). Target: 20,000 sales/s at parallelism 2.

    make bench            # or: .venv/bin/python -m bench.job [--parallelism N]

Prints sales/s over the job's run (from submission to the last commit: JVM start-up excluded), the
peak memory of the whole process tree (client, Flink's JVM, Python workers) and the largest
checkpoint seen on disk.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT / ".bench" / "datagen"


def tree_rss_bytes(root_pid: int) -> int:
    """Resident memory of `root_pid` and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.exists() else 0


class Sampler(threading.Thread):
    """Peak memory of the job's process tree and peak size of its checkpoint folder."""

    def __init__(self, pid: int, checkpoints: Path):
        super().__init__(daemon=True)
        self.pid, self.checkpoints = pid, checkpoints
        self.peak_rss = self.peak_checkpoint = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak_rss = max(self.peak_rss, tree_rss_bytes(self.pid))
            try:
                self.peak_checkpoint = max(self.peak_checkpoint, folder_bytes(self.checkpoints))
            except OSError:  # a checkpoint being deleted while we walk it
                pass
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parallelism", type=int, default=2)
    args = parser.parse_args()
    if not (DATASET / "bus" / "manifest.json").exists():
        subprocess.run([sys.executable, "-m", "bench.datagen"], cwd=ROOT, check=True)
    work = ROOT / ".bench" / "job"
    shutil.rmtree(work, ignore_errors=True)
    checkpoints = work / "checkpoints"
    command = [sys.executable, "-m", "flink_app", "--bus", str(DATASET / "bus"), "--reference",
               str(DATASET / "reference"), "--out", str(work / "out"), "--bounded",
               "--parallelism", str(args.parallelism), "--checkpoint-dir", checkpoints.as_uri()]
    job = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    sampler = Sampler(job.pid, checkpoints)
    sampler.start()
    summary = job.communicate()[0]
    sampler.running = False
    if job.returncode != 0:
        sys.exit(f"the job failed (exit {job.returncode})")
    print(summary.strip())
    elapsed = float(re.search(r"finished in ([\d.]+) s", summary).group(1))
    sales = int(re.search(r"sales read\s+([\d,]+)", summary).group(1).replace(",", ""))
    print(f"job: {sales:,} sales in {elapsed:.1f} s at parallelism {args.parallelism}: {sales / elapsed:,.0f} sales/s "
          f"(target 20,000); peak memory {sampler.peak_rss / 2**20:,.0f} MiB (process tree); "
          f"largest checkpoint folder {sampler.peak_checkpoint / 2**20:,.1f} MiB")


if __name__ == "__main__":
    main()
