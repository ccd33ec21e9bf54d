"""The local bus (docs/contract.md §5): <bus>/<stream>/part-NNNNNN.jsonl, name order = delivery order.

Each file is written hidden (`.part-...inprogress`) and renamed when complete, so a job watching
the bus never reads half a file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import BinaryIO

from datagen.delivery import Delivery

STREAMS = ("customers", "addresses", "sales")


class BusError(Exception):
    pass


class _RollingFile:
    def __init__(self, folder: Path, records_per_file: int, roll_seconds: float | None):
        self.folder = folder
        self.records_per_file = records_per_file
        self.roll_seconds = roll_seconds
        self.files = 0
        self.records = 0
        self._out: BinaryIO | None = None
        self._hidden: Path | None = None
        self._in_file = 0
        self._opened = 0.0

    def write(self, payload: bytes) -> None:
        if self._out is None:
            self._hidden = self.folder / f".part-{self.files:06d}.jsonl.inprogress"
            self._out = self._hidden.open("wb", buffering=1 << 20)
            self._opened = time.monotonic()
        self._out.write(payload + b"\n")
        self._in_file += 1
        self.records += 1
        if self._in_file >= self.records_per_file or (
            self.roll_seconds is not None and time.monotonic() - self._opened >= self.roll_seconds
        ):
            self.roll()

    def roll(self) -> None:
        """Completes the current file: flushed, synced, then renamed into sight."""
        if self._out is None or self._hidden is None:
            return
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        os.replace(self._hidden, self.folder / f"part-{self.files:06d}.jsonl")
        self.files += 1
        self._out, self._hidden, self._in_file = None, None, 0


class BusWriter:
    def __init__(self, bus: Path, records_per_file: int, roll_seconds: float | None = None, overwrite: bool = False):
        self.streams: dict[str, _RollingFile] = {}
        for stream in STREAMS:
            folder = bus / stream
            folder.mkdir(parents=True, exist_ok=True)
            existing = [p for p in folder.iterdir() if p.suffix == ".jsonl" or p.name.endswith(".inprogress")]
            if existing and not overwrite:
                raise BusError(f"{folder} already holds {len(existing)} files: choose an empty bus or pass --overwrite")
            for path in existing:
                path.unlink()
            self.streams[stream] = _RollingFile(folder, records_per_file, roll_seconds)

    def write(self, delivery: Delivery) -> None:
        self.streams[delivery.stream].write(delivery.payload)

    def close(self) -> dict[str, dict[str, int]]:
        for rolling in self.streams.values():
            rolling.roll()
        return {stream: {"records": r.records, "files": r.files} for stream, r in self.streams.items()}
