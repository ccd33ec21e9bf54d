"""Puts the parts together: the world, the sales, their delivery order, and the manifest."""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from datagen import reference
from datagen.bus import STREAMS
from datagen.clock import iso
from datagen.config import GeneratorConfig
from datagen.delivery import BAD_KINDS, Delivery, deliver
from datagen.sales import sale_events
from datagen.world import World, build_world

REALITY_COUNTS = [
    "customer_updates",
    "moves",
    "address_updates",
    "orphan_orders",
    "orphan_sale_lines",
    "unknown_zip_known_city",
    "unknown_place",
    "unknown_items",
    "unknown_promos",
    "sale_lines_without_promo",
]


@dataclass
class Generation:
    """One run's data, produced lazily: iterate `deliveries` once, then ask for the manifest."""

    cfg: GeneratorConfig
    world: World
    deliveries: Iterator[Delivery]
    counts: Counter = field(default_factory=Counter)

    @property
    def expected_records(self) -> int:
        """About how many records will be delivered (for a progress bar)."""
        return len(self.world.customer_events) + len(self.world.address_events) + self.cfg.sales

    def manifest(self, delivered: Counter, files: dict[str, int] | None, reference_files: list[Path]) -> dict:
        counts, cfg = self.counts, self.cfg
        streams = {}
        for stream in STREAMS:
            bad = {kind: counts[f"{stream}.bad.{kind}"] for kind in BAD_KINDS}
            streams[stream] = {
                "records": delivered[stream],
                "valid": delivered[stream] - sum(bad.values()),
                "bad": bad,
                "out_of_order": counts[f"{stream}.out_of_order"],
                "late": counts[f"{stream}.late"],
            }
            if files is not None:
                streams[stream]["files"] = files[stream]
        streams["sales"]["duplicates"] = counts["sales.duplicates"]
        realities = dataclasses.asdict(cfg.realities)
        return {
            "generator": {
                "seed": cfg.seed,
                "customers": cfg.customers,
                "sales": cfg.sales,
                "items": cfg.items,
                "promos": cfg.promos,
                "start": iso(cfg.start_ms),
                "end": iso(cfg.end_ms),
                "out_of_orderness_seconds": cfg.out_of_orderness_seconds,
                "rates": realities,
            },
            "streams": streams,
            "entities": {
                "customers": cfg.customers,
                "customer_versions": len(self.world.customer_events),
                "addresses": len({key for _, key, _ in self.world.address_events}),
                "address_versions": len(self.world.address_events),
                "orders": counts["orders"],
                "sale_lines": cfg.sales,
            },
            "realities": {name: counts[name] for name in REALITY_COUNTS},
            "reference": {"items": cfg.items, "promos": cfg.promos, "files": sorted(str(p) for p in reference_files)},
        }


def generate(cfg: GeneratorConfig) -> Generation:
    """Builds the customer/address histories now and streams the sales as they are consumed."""
    cfg.check()
    counts: Counter = Counter()

    def rng(part: str) -> random.Random:  # one independent stream of randomness per concern
        return random.Random(f"{cfg.seed}:{part}")

    world = build_world(cfg, rng("world"), counts)
    streams = [
        deliver("customers", world.customer_events, cfg, rng("deliver-customers"), counts),
        deliver("addresses", world.address_events, cfg, rng("deliver-addresses"), counts),
        deliver("sales", sale_events(cfg, world, rng("sales"), counts), cfg, rng("deliver-sales"), counts),
    ]
    merged = heapq.merge(*streams, key=lambda d: d.at_ms)
    return Generation(cfg, world, merged, counts)


def write_reference(cfg: GeneratorConfig, root: Path, formats: list[str]) -> list[Path]:
    """Items and promos for the period, in each of `formats` (csv, parquet)."""
    rng = random.Random(f"{cfg.seed}:reference")
    first_day = cfg.start.astimezone(dt.timezone.utc).date()
    last_day = (cfg.start + dt.timedelta(days=cfg.days)).astimezone(dt.timezone.utc).date()
    promos = reference.make_promos(rng, cfg.promos, first_day, last_day)
    return reference.write_table(root, "items", reference.make_items(rng, cfg.items), formats) + reference.write_table(
        root, "promos", promos, formats
    )
