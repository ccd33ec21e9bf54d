"""Where a command's CPU goes: runs it, samples the CPU time of every thread of its process tree
every 2 s (Flink names its task threads after their operator chains, so a JVM thread's name says
which operators it runs; a Python process counts as one), and prints for each interval the CPU
seconds of the whole tree and its busiest threads, then each thread's total.

    .venv/bin/python -m bench.threads -- .venv/bin/python -m flink_app --bus … --bounded …
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from collections import Counter
from pathlib import Path

from bench.job import cpu_ticks, process_tree

TICKS = os.sysconf("SC_CLK_TCK")


def thread_seconds(pid: int) -> dict[tuple[str, str], float]:
    """CPU seconds of each thread of `pid`, keyed by (thread id, name); a Python process's threads
    are named by its command."""
    command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    name = Path(command[0].decode()).name
    label = None if name == "java" else " ".join(part.decode() for part in command[:3])
    seconds: dict[tuple[str, str], float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text().rsplit(")", 1)[1].split()
            thread = label or (task / "comm").read_text().strip()
        except OSError:  # a thread that ended while we read (the HTTP client's come and go): the others still count
            continue
        seconds[(task.name, thread)] = cpu_ticks(stat) / TICKS
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    started = time.monotonic()
    job = subprocess.Popen(command)
    previous: dict[tuple[int, str, str], float] = {}
    totals: Counter = Counter()
    while job.poll() is None:
        interval: Counter = Counter()
        for pid in process_tree(job.pid):
            try:
                for (tid, name), seconds in thread_seconds(pid).items():
                    interval[name] += seconds - previous.get((pid, tid, name), 0.0)
                    previous[(pid, tid, name)] = seconds
            except (OSError, IndexError):  # gone while we read it
                continue
        totals.update(interval)
        busiest = ", ".join(f"{name} {cpu:.1f}" for name, cpu in interval.most_common(6) if cpu >= 0.1)
        print(f"{time.monotonic() - started:5.0f} s  {sum(interval.values()):4.1f} CPU s  {busiest}", flush=True)
        time.sleep(2)
    print("CPU seconds per thread over the run:")
    for name, seconds in totals.most_common(20):
        print(f"  {seconds:7.1f}  {name}")


if __name__ == "__main__":
    main()
