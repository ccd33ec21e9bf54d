"""Delivery order: how each stream's records reach the bus or Kinesis.

Records go out in event-time order except for the injected realities: some are held back within
the out-of-orderness bound (disorder a job must absorb exactly), some 2-5 bounds (late), sale lines
are sometimes delivered twice, and bad records are slipped in beside good ones.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import orjson

from datagen.config import GeneratorConfig

BAD_KINDS = ("invalid_json", "missing_field", "wrong_type")
REQUIRED = {
    "customers": ["customer_id", "address_id", "customer_datetime"],
    "addresses": ["address_id", "address_datetime"],
    "sales": ["order_id", "item_id", "bill_customer_id", "ship_customer_id", "sale_datetime"],
}
# (field, a value of the wrong JSON type for it)
WRONG_TYPES = {
    "customers": [("customer_datetime", 1_762_000_000), ("purchase_estimate", "lots"), ("address_id", 42)],
    "addresses": [("address_datetime", 1_762_000_000), ("zip", 10001), ("gmt_offset", "minus five")],
    "sales": [
        ("order_id", "A-17"),
        ("quantity", "three"),
        ("sales_price", {"amount": 1}),
        ("sale_datetime", 1_762_000_000),
    ],
}
# Within the bound, with a margin so that a held-back record is never late by a millisecond.
IN_BOUND_SHARE = 0.9


class Delivery(NamedTuple):
    at_ms: int  # when it is delivered, on the event-time axis
    stream: str
    partition_key: str
    payload: bytes  # one JSON line, without the newline


def deliver(
    stream: str, events: Iterable[tuple[int, str, dict]], cfg: GeneratorConfig, rng: random.Random, counts: Counter
) -> Iterator[Delivery]:
    """The stream's records in delivery order; `events` must come in event-time order."""
    realities = cfg.realities
    bound = cfg.bound_ms
    pending: list[tuple[int, int, str, bytes]] = []
    sequence = 0

    def hold(at: int, key: str, payload: bytes) -> None:
        nonlocal sequence
        sequence += 1
        heapq.heappush(pending, (at, sequence, key, payload))

    for event_ms, key, record in events:
        while pending and pending[0][0] <= event_ms:
            at, _, k, payload = heapq.heappop(pending)
            yield Delivery(at, stream, k, payload)
        payload = orjson.dumps(record)
        draw = rng.random()
        if draw < realities.late:
            hold(event_ms + int(bound * rng.uniform(2, 5)), key, payload)
            counts[f"{stream}.late"] += 1
        elif draw < realities.late + realities.out_of_order:
            hold(event_ms + int(bound * IN_BOUND_SHARE * rng.random()), key, payload)
            counts[f"{stream}.out_of_order"] += 1
        else:
            hold(event_ms, key, payload)
        if stream == "sales" and rng.random() < realities.duplicates:
            hold(event_ms + int(bound * IN_BOUND_SHARE * rng.random()), key, payload)
            counts["sales.duplicates"] += 1
        if rng.random() < realities.bad:
            kind = rng.choice(BAD_KINDS)
            hold(event_ms, key, bad_payload(stream, kind, record, rng))
            counts[f"{stream}.bad.{kind}"] += 1
    while pending:
        at, _, k, payload = heapq.heappop(pending)
        yield Delivery(at, stream, k, payload)


def bad_payload(stream: str, kind: str, record: dict, rng: random.Random) -> bytes:
    if kind == "invalid_json":
        text = orjson.dumps(record)
        return text[: rng.randint(1, len(text) - 1)]  # a truncated object never parses
    broken = dict(record)
    if kind == "missing_field":
        del broken[rng.choice(REQUIRED[stream])]
    else:
        field, value = rng.choice(WRONG_TYPES[stream])
        broken[field] = value
    return orjson.dumps(broken)
