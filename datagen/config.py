"""What to generate: sizes, the simulated period and the rate of each injected reality."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Realities:
    """Probabilities of the realities the job must survive; see `python -m datagen --help`."""

    customer_updates: float = 0.2  # a customer gets an(other) update: repeated, so geometric
    moves: float = 0.05  # a customer moves once to a new address
    address_updates: float = 0.1  # an address gets one correction
    out_of_order: float = 0.2  # a record is delivered late but within the out-of-orderness bound
    late: float = 0.001  # a record is delivered 2-5 bounds late
    duplicates: float = 0.005  # a sale line is delivered twice
    orphans: float = 0.002  # an order's bill (and so often ship) customer never arrives
    bad: float = 0.001  # an extra bad record (invalid JSON, missing field, wrong type) per record
    unknown_addresses: float = 0.01  # an address with a ZIP code that does not exist
    unknown_references: float = 0.002  # a sale line whose item or promo is not in the reference data

    def clean(self) -> Realities:
        """Business changes kept (updates, moves), every fault and gap switched off."""
        return dataclasses.replace(
            self,
            out_of_order=0.0,
            late=0.0,
            duplicates=0.0,
            orphans=0.0,
            bad=0.0,
            unknown_addresses=0.0,
            unknown_references=0.0,
        )

    def check(self) -> None:
        for name, value in dataclasses.asdict(self).items():
            limit = 0.95 if name == "customer_updates" else 1.0
            if not 0.0 <= value <= limit:
                raise ValueError(f"the {name.replace('_', '-')} rate must be within 0 and {limit}, not {value}")
        if self.late + self.out_of_order > 1.0:
            raise ValueError("the late and out-of-order rates together must not exceed 1")


@dataclass(frozen=True)
class GeneratorConfig:
    customers: int
    sales: int
    seed: int = 1
    items: int = 2000
    promos: int = 300
    start: dt.datetime = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    days: float = 7.0
    out_of_orderness_seconds: float = 60.0
    realities: Realities = field(default_factory=Realities)

    def check(self) -> None:
        if self.customers < 1 or self.sales < 0 or self.items < 1 or self.promos < 1:
            raise ValueError("customers, items and promos must be at least 1, sales at least 0")
        if self.days <= 0 or self.out_of_orderness_seconds <= 0:
            raise ValueError("days and the out-of-orderness bound must be positive")
        if self.start.tzinfo is None:
            raise ValueError("the start time needs an offset, e.g. 2026-11-01T00:00:00Z")
        self.realities.check()

    @property
    def start_ms(self) -> int:
        return int(self.start.timestamp() * 1000)

    @property
    def end_ms(self) -> int:
        return self.start_ms + int(self.days * 86_400_000)

    @property
    def bound_ms(self) -> int:
        return int(self.out_of_orderness_seconds * 1000)
