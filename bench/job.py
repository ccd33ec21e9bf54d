"""Job benchmark: bounded runs of `python -m flink_app`, with geocoding off and on, over two fixed
datasets of bench.datagen (generated first if missing): `sales` (20k customers, 1M sale lines) and
`addresses` (200k customers, 1,000 sale lines: the address path's own throughput). Targets, on the
sales dataset: 20,000 sales/s at parallelism 2, and geocoding costing at most 10% of it; on both,
HTTP requests to the geocoder at most a tenth of the distinct geocodable address versions.

    make bench            # or: .venv/bin/python -m bench.job [--parallelism N] [--dataset sales|addresses|both] [--runs N]

Prints sales/s over the job's run (from submission to the last commit: JVM start-up excluded), the
pace once warmed up (orders/s while the middle half of the order files' bytes was written), the
peak memory of the whole process tree (client, Flink's JVM, Python workers) and the largest
checkpoint seen on disk. With geocoding on, the job calls the geocoder handler served on 127.0.0.1
(`geocoder_lambda.serve`, offline provider), whose own metrics count the requests and addresses.
With `--runs N` the two run in turn N times, and the medians are compared: the same job varies by
10-15% from run to run on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
# name -> (folder, bench.datagen's options)
DATASETS = {
    "sales": (ROOT / ".bench" / "datagen", []),
    "addresses": (ROOT / ".bench" / "addresses", ["--customers", "200000", "--sales", "1000"]),
}


def process_tree(root_pid: int) -> dict[int, list[str]]:
    """The /proc stat fields (after the command) of `root_pid` and of all its descendants."""
    stats: dict[int, list[str]] = {}
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
        stats[int(entry)] = fields
    tree, stack = {}, [root_pid]
    while stack:
        pid = stack.pop()
        if pid in stats:
            tree[pid] = stats[pid]
        stack.extend(children.get(pid, []))
    return tree


def cpu_ticks(fields: list[str]) -> int:
    """The user and system clock ticks in a process's /proc stat fields (after the command)."""
    return int(fields[11]) + int(fields[12])


def tree_cpu_seconds(pid: int) -> float:
    """The user and system CPU time `pid` and its descendants are using so far (all their threads)."""
    return sum(cpu_ticks(fields) for fields in process_tree(pid).values()) / os.sysconf("SC_CLK_TCK")


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.exists() else 0


class Sampler(threading.Thread):
    """Peak memory of the job's process tree, the CPU time its processes used, peak size of its
    checkpoint folder, and the bytes of its order files over time (in-progress files included: they
    grow as the job writes)."""

    def __init__(self, pid: int, checkpoints: Path, orders: Path):
        super().__init__(daemon=True)
        self.pid, self.checkpoints, self.orders = pid, checkpoints, orders
        self.peak_rss = self.peak_checkpoint = 0
        self.cpu_ticks: dict[int, int] = {}  # pid -> user and system clock ticks at its last sample
        self.written: list[tuple[float, int]] = []  # (monotonic seconds, bytes of order files)
        self.running = True

    def run(self) -> None:
        while self.running:
            tree = process_tree(self.pid)
            self.peak_rss = max(self.peak_rss, sum(int(fields[21]) for fields in tree.values()) * PAGE_SIZE)
            self.cpu_ticks.update({pid: cpu_ticks(fields) for pid, fields in tree.items()})
            try:
                self.peak_checkpoint = max(self.peak_checkpoint, folder_bytes(self.checkpoints))
                self.written.append((time.monotonic(), folder_bytes(self.orders)))
            except OSError:  # a file being renamed or deleted while we walk the folder
                pass
            time.sleep(0.5)

    def cpu_seconds(self) -> float:
        """The CPU time of the job's processes, as last sampled (up to half a second before each ended):
        unlike wall time, it leaves out what other processes on the machine take."""
        return sum(self.cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")

    def middle_half_seconds(self) -> float:
        """How long the job took to write the middle half of its order bytes (from 25% to 75%):
        its pace once warmed up, without JVM and Python start-up or the final commit."""
        total = self.written[-1][1]
        quarter = next(t for t, size in self.written if size >= total / 4)
        three_quarters = next(t for t, size in self.written if size >= total * 3 / 4)
        return three_quarters - quarter


@dataclass
class JobRun:
    summary: str
    sales: int
    elapsed: float  # from submission to the last commit
    wall: float  # from the command's start to its end
    peak_rss: int
    cpu_seconds: float  # of the job's process tree (client, JVM, Python workers)
    peak_checkpoint: int
    orders: int
    middle_half_seconds: float

    @property
    def sales_per_second(self) -> float:
        return self.sales / self.elapsed

    @property
    def warm_orders_per_second(self) -> float | None:
        """None when the run wrote too little to time its middle half (the addresses dataset)."""
        return self.orders / 2 / self.middle_half_seconds if self.middle_half_seconds >= 5 else None

    def warm_pace(self) -> str:
        return "n/a" if self.warm_orders_per_second is None else f"{self.warm_orders_per_second:,.0f} orders/s"


def run_job(dataset: Path, parallelism: int, *options: str) -> JobRun:
    work = ROOT / ".bench" / "job"
    shutil.rmtree(work, ignore_errors=True)
    checkpoints = work / "checkpoints"
    command = [
        sys.executable,
        "-m",
        "flink_app",
        "--bus",
        str(dataset / "bus"),
        "--reference",
        str(dataset / "reference"),
        "--out",
        str(work / "out"),
        "--bounded",
        "--parallelism",
        str(parallelism),
        "--checkpoint-dir",
        checkpoints.as_uri(),
        *options,
    ]
    started = time.monotonic()
    job = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    sampler = Sampler(job.pid, checkpoints, work / "out" / "orders")
    sampler.start()
    summary = job.communicate()[0]
    wall = time.monotonic() - started
    sampler.running = False
    if job.returncode != 0:
        sys.exit(f"the job failed (exit {job.returncode})")
    elapsed = float(re.search(r"finished in ([\d.]+) s", summary).group(1))
    sales = int(re.search(r"sales read\s+([\d,]+)", summary).group(1).replace(",", ""))
    orders = int(re.search(r"orders written\s+([\d,]+)", summary).group(1).replace(",", ""))
    sampler.join()
    return JobRun(
        summary.strip(),
        sales,
        elapsed,
        wall,
        sampler.peak_rss,
        sampler.cpu_seconds(),
        sampler.peak_checkpoint,
        orders,
        sampler.middle_half_seconds(),
    )


class ServedGeocoder:
    """`geocoder_lambda.serve --metrics`: its URL, and the sums of the EMF metrics it prints per request
    with the CPU seconds it used (on this machine they are taken from the job's two cores; in AWS
    the geocoder runs in Lambda)."""

    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "geocoder_lambda.serve", "--port", "0", "--metrics"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = json.loads(self.process.stdout.readline())["geocoder"]
        self.totals: Counter = Counter()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            try:
                blob = json.loads(line)
            except ValueError:
                continue
            for name in ("Requests", "Addresses"):
                if isinstance(blob, dict) and name in blob:
                    self.totals[name] += blob[name] if isinstance(blob[name], (int, float)) else sum(blob[name])

    def stop(self) -> Counter:
        self.totals["CPU seconds"] = tree_cpu_seconds(self.process.pid)  # the workers it forked included
        self.process.terminate()
        self.reader.join(timeout=10)
        return self.totals


def address_versions(dataset: Path) -> tuple[int, int]:
    """(valid address records on the bus, distinct geocodable field sets among them)."""
    from flink_app.geocoder_client import GEOCODABLE_FIELDS

    records, places = 0, set()
    for path in sorted((dataset / "bus" / "addresses").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
                places.add(tuple(record[f] for f in GEOCODABLE_FIELDS))
                records += 1
            except (ValueError, KeyError, TypeError):
                continue
    return records, len(places)


def checkpoint_size(size: int) -> str:
    """The largest checkpoint folder seen; a short run may end before its first one."""
    return f"{size / 2**20:,.1f} MiB" if size else "none seen"


def report(label: str, run: JobRun, parallelism: int) -> None:
    print(f"--- {label}\n{run.summary}")
    print(
        f"job ({label}): {run.sales:,} sales in {run.elapsed:.1f} s at parallelism {parallelism}: "
        f"{run.sales_per_second:,.0f} sales/s; warmed up (the middle half of the orders written): "
        f"{run.warm_pace()}; peak memory {run.peak_rss / 2**20:,.0f} MiB "
        f"(process tree); largest checkpoint folder {checkpoint_size(run.peak_checkpoint)}"
    )


def dataset_ready(name: str) -> Path:
    """The dataset's folder, generated first if missing."""
    dataset, options = DATASETS[name]
    if not (dataset / "bus" / "manifest.json").exists():
        subprocess.run([sys.executable, "-m", "bench.datagen", "--out", str(dataset), *options], cwd=ROOT, check=True)
    return dataset


def geocoded_run(dataset: Path, parallelism: int, implementation: str = "java") -> tuple[JobRun, Counter]:
    """A run with geocoding on by the `implementation`'s async operator (geocoder.implementation),
    against a freshly started served handler: (the run, its metrics)."""
    properties = ROOT / ".bench" / f"geocoder-{implementation}.json"
    properties.write_text(
        json.dumps([{"PropertyGroupId": "geocoder", "PropertyMap": {"implementation": implementation}}])
    )
    geocoder = ServedGeocoder()
    try:
        run = run_job(dataset, parallelism, "--geocoder-url", geocoder.url, "--properties", str(properties))
    finally:
        totals = geocoder.stop()
    return run, totals


def median(runs: list[JobRun]) -> JobRun:
    return sorted(runs, key=lambda run: run.sales_per_second)[len(runs) // 2]


def compare(name: str, parallelism: int, runs: int) -> None:
    """The dataset's job run with geocoding off, then on (against the served handler), `runs` times."""
    dataset = dataset_ready(name)
    records, places = address_versions(dataset)
    offs, ons = [], []
    for _ in range(runs):
        offs.append(run_job(dataset, parallelism))
        report(f"{name}, geocoding off", offs[-1], parallelism)
        on, totals = geocoded_run(dataset, parallelism)
        ons.append(on)
        report(f"{name}, geocoding on", on, parallelism)
        print(
            f"{name}: {records:,} address versions in {on.elapsed:.1f} s with geocoding on "
            f"({records / on.elapsed:,.0f}/s), {offs[-1].elapsed:.1f} s off ({records / offs[-1].elapsed:,.0f}/s); "
            f"{places:,} distinct geocodable versions; {totals['Requests']:,.0f} requests to the geocoder "
            f"(target at most {places / 10:,.0f}) carrying {totals['Addresses']:,.0f} addresses"
        )
    off, on = median(offs), median(ons)
    if runs > 1:
        for label, each in (("off", offs), ("on", ons)):
            print(
                f"{name}: geocoding {label}, {runs} runs: median {median(each).sales_per_second:,.0f} sales/s "
                f"(from {min(r.sales_per_second for r in each):,.0f} to {max(r.sales_per_second for r in each):,.0f}); "
                f"warmed up {median(each).warm_pace()} in the median run"
            )
    print(
        f"{name}: geocoding on costs {1 - on.sales_per_second / off.sales_per_second:.1%} of the sales/s "
        f"({off.sales_per_second:,.0f} -> {on.sales_per_second:,.0f}{', medians' if runs > 1 else ''}); "
        f"warmed up: {off.warm_pace()} -> {on.warm_pace()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parallelism", type=int, default=2)
    parser.add_argument("--dataset", choices=(*DATASETS, "both"), default="both")
    parser.add_argument("--runs", type=int, default=1, help="runs of each, off and on in turn (default 1)")
    args = parser.parse_args()
    for name in DATASETS:
        if args.dataset in (name, "both"):
            compare(name, args.parallelism, args.runs)


if __name__ == "__main__":
    main()
