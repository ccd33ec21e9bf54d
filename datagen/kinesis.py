"""Kinesis output: PutRecords batches within the API limits, retrying only the records that failed."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from datagen.delivery import Delivery

MAX_RECORDS_PER_REQUEST = 500
MAX_BYTES_PER_REQUEST = 5 * 1024 * 1024
MAX_BYTES_PER_RECORD = 1024 * 1024


class KinesisError(Exception):
    pass


class KinesisWriter:
    """Buffers each stream's records and sends them with `put_records`.

    A failed record (throttling, an internal error) is sent again, alone with the other failures of
    its batch, after an exponential backoff with full jitter; after `max_attempts` the writer raises
    rather than drop it. Records keep their stream's order except where a retry reorders them, as
    with any Kinesis producer.
    """

    def __init__(
        self,
        client: Any,
        stream_names: dict[str, str],
        max_attempts: int = 10,
        base_delay: float = 0.05,
        max_delay: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        self.client = client
        self.stream_names = stream_names
        self.max_attempts = max_attempts
        self.base_delay, self.max_delay = base_delay, max_delay
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.buffers: dict[str, list[dict]] = {s: [] for s in stream_names}
        self.buffered_bytes: dict[str, int] = {s: 0 for s in stream_names}
        self.stats = {"records": 0, "requests": 0, "retried_records": 0}

    def write(self, delivery: Delivery) -> None:
        size = len(delivery.payload) + len(delivery.partition_key.encode())
        if size > MAX_BYTES_PER_RECORD:
            raise KinesisError(f"a {delivery.stream} record of {size} bytes exceeds Kinesis's 1 MiB limit")
        stream = delivery.stream
        if (
            len(self.buffers[stream]) >= MAX_RECORDS_PER_REQUEST
            or self.buffered_bytes[stream] + size > MAX_BYTES_PER_REQUEST
        ):
            self.flush(stream)
        self.buffers[stream].append({"Data": delivery.payload, "PartitionKey": delivery.partition_key})
        self.buffered_bytes[stream] += size

    def flush(self, stream: str) -> None:
        batch = self.buffers[stream]
        self.buffers[stream], self.buffered_bytes[stream] = [], 0
        for attempt in range(1, self.max_attempts + 1):
            if not batch:
                return
            self.stats["requests"] += 1
            response = self.client.put_records(StreamName=self.stream_names[stream], Records=batch)
            results = response["Records"]
            failed = [record for record, result in zip(batch, results) if "ErrorCode" in result]
            self.stats["records"] += len(batch) - len(failed)
            if failed and attempt < self.max_attempts:
                self.stats["retried_records"] += len(failed)
                self.sleep(self.rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1))))
            batch = failed
        if batch:
            errors = {r.get("ErrorCode") for r in results if "ErrorCode" in r}
            raise KinesisError(
                f"{len(batch)} {stream} records still failed after {self.max_attempts} "
                f"attempts ({', '.join(sorted(errors))}); stopping rather than losing them"
            )

    def close(self) -> dict[str, int]:
        for stream in self.buffers:
            self.flush(stream)
        return dict(self.stats)
