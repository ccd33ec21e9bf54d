"""What a bounded run did, for the line the job prints at the end: counts from the job's
accumulators (this run's sale lines) and from the committed output (what a reader will find)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import orjson

COMPLETE = b'"missing":[]'  # how the JSON format writes an empty `missing`


@dataclass(frozen=True)
class RunSummary:
    elapsed_seconds: float
    sale_lines: int  # valid sale records read, redeliveries included
    redeliveries: int
    orders: int
    complete: int
    dead_letters: Counter  # by stream

    @property
    def sales_read(self) -> int:
        return self.sale_lines + self.dead_letters["sales"]

    def report(self) -> str:
        rate = self.orders / self.elapsed_seconds if self.elapsed_seconds else 0.0
        by_stream = ", ".join(f"{s} {n:,}" for s, n in sorted(self.dead_letters.items())) or "none"
        return "\n".join(
            [
                f"bounded run finished in {self.elapsed_seconds:.1f} s",
                f"  sales read      {self.sales_read:,} (redeliveries dropped {self.redeliveries:,}, "
                f"invalid {self.dead_letters['sales']:,})",
                f"  orders written  {self.orders:,} (complete {self.complete:,}, with gaps {self.orders - self.complete:,})",
                f"  dead letters    {sum(self.dead_letters.values()):,} ({by_stream})",
                f"  throughput      {rate:,.0f} orders/s",
            ]
        )


def committed_files(folder: Path) -> list[Path]:
    """The committed part files under `folder` (hidden files are in progress or bookkeeping)."""
    return sorted(p for p in folder.rglob("part-*") if p.is_file() and not p.name.startswith((".", "_")))


def summarise(out: Path, elapsed_seconds: float, accumulators: dict) -> RunSummary:
    orders = complete = 0
    for path in committed_files(out / "orders"):
        with path.open("rb") as lines:
            for line in lines:
                orders += 1
                complete += COMPLETE in line
    dead_letters = Counter(
        orjson.loads(line)["stream"]
        for path in committed_files(out / "dlq")
        for line in path.read_bytes().splitlines()
        if line
    )
    return RunSummary(
        elapsed_seconds,
        int(accumulators.get("sale_lines_first_delivered", 0)) + int(accumulators.get("sale_lines_redelivered", 0)),
        int(accumulators.get("sale_lines_redelivered", 0)),
        orders,
        complete,
        dead_letters,
    )
