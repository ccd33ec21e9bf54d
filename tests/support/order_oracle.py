"""What the job must write, computed independently from docs/contract.md §3-4: the bus files, the
reference CSVs and the JSON Schemas, and no code of flink_app.

Delivery order decides a few results: a late sale's enrichment is best effort, and a late customer
or address version may or may not be visible to the sales just after its time. For those the
oracle gives every acceptable answer; everything else is exact.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from tests.support.contract import STREAMS, classify

TIME_FIELD = {"customers": "customer_datetime", "addresses": "address_datetime", "sales": "sale_datetime"}
KEY_FIELD = {"customers": "customer_id", "addresses": "address_id"}
DISABLED_GEOCODE = {"status": "disabled", "precision": None, "provider": None}
Geocoder = Callable[[dict], tuple[dict | None, dict]]  # address record -> (location, geocode) of docs/contract.md §3


def not_geocoded(address: dict) -> tuple[None, dict]:
    return None, DISABLED_GEOCODE


TEXT_FIELDS = {
    "bill_customer_id",
    "ship_customer_id",
    "warehouse_id",
    "promo_id",
    "ship_delay",
    "ship_mode",
    "ship_carrier",
    "sale_datetime",
}


def millis(timestamp: str) -> int:
    return int(dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)


@dataclass
class Delivered:
    """A stream's valid records in delivery order, each marked late or not, and its invalid lines."""

    records: list[tuple[dict, bool]] = field(default_factory=list)
    invalid: list[bytes] = field(default_factory=list)


def bus_records(path: Path) -> list[bytes]:
    """A bus file's records (docs/contract.md §5): its lines, each ended by LF, a CR right before the LF
    dropped; a lone CR is data. The text after the last LF, if any, is the last record."""
    *ended, last = path.read_bytes().split(b"\n")
    return [line[:-1] if line.endswith(b"\r") else line for line in ended] + ([last] if last else [])


def read_stream(bus: Path, stream: str, bound_ms: int) -> Delivered:
    delivered = Delivered()
    newest = None
    for path in sorted((bus / stream).glob("*.jsonl")):  # name order is delivery order (docs/contract.md §5)
        for line in bus_records(path):
            if classify(stream, line) != "valid":
                delivered.invalid.append(line)
                continue
            record = json.loads(line)
            at = millis(record[TIME_FIELD[stream]])
            delivered.records.append((record, newest is not None and at < newest - bound_ms))
            newest = at if newest is None else max(newest, at)
    return delivered


class Versions:
    """The versions of each key of a stream, with and without the late ones."""

    def __init__(self, delivered: Delivered, stream: str):
        self.all: dict[str, list[tuple[int, dict]]] = {}
        self.timely: dict[str, list[tuple[int, dict]]] = {}
        for record, late in delivered.records:
            version = (millis(record[TIME_FIELD[stream]]), record)
            self.all.setdefault(record[KEY_FIELD[stream]], []).append(version)
            if not late:
                self.timely.setdefault(record[KEY_FIELD[stream]], []).append(version)
        for table in (self.all, self.timely):
            for versions in table.values():
                versions.sort(key=lambda v: v[0])

    def as_of(self, key: str, at: int, late_visible: bool) -> dict | None:
        versions = (self.all if late_visible else self.timely).get(key, [])
        position = bisect.bisect_right([t for t, _ in versions], at)
        return versions[position - 1][1] if position else None


def reference(root: Path, table: str, key: str) -> dict[str, dict]:
    rows = {}
    for row in csv.DictReader((root / table / f"{table}.csv").open(encoding="utf-8")):
        typed = {k: (None if v == "" else v) for k, v in row.items()}
        if table == "items":
            typed["item_id"] = int(typed["item_id"])
        else:
            typed["cost"], typed["response_target"] = Decimal(typed["cost"]), int(typed["response_target"])
        rows[str(typed[key])] = typed
    return rows


def coarse_location(location: dict | None) -> dict | None:
    """The location rounded half-even to 0.01 degree from the exact value of its double (the
    location's decimals, at most 6, name that double exactly)."""
    if location is None:
        return None
    return {k: Decimal(float(v)).quantize(Decimal("0.01"), ROUND_HALF_EVEN) for k, v in location.items()}


def customer_document(customer: dict | None, address: dict | None, geocode: Geocoder) -> dict | None:
    if customer is None:
        return None
    located = None
    if address is not None:
        location, outcome = geocode(address)
        located = {
            **address,
            "gmt_offset": None if address["gmt_offset"] is None else Decimal(str(address["gmt_offset"])),
            "location": location,
            "coarse_location": coarse_location(location),
            "geocode": outcome,
        }
    return {**customer, "address": located}


@dataclass
class Expected:
    sale_fields: dict  # the sale's own fields, money as Decimal, plus line_id, item, promo and dt
    enrichments: list[tuple] | None  # acceptable (bill_customer, ship_customer, missing); None: any (a late sale)


@dataclass
class Oracle:
    orders: dict[str, Expected]
    dead_letters: Counter  # (stream, the record's bytes)


def expected_output(
    bus: Path, reference_root: Path, bound_seconds: float = 60, geocode: Geocoder = not_geocoded
) -> Oracle:
    """`geocode`: what the job's geocoding step gives an address (by default: geocoding off)."""
    bound_ms = int(bound_seconds * 1000)
    delivered = {s: read_stream(bus, s, bound_ms) for s in STREAMS}
    customers = Versions(delivered["customers"], "customers")
    addresses = Versions(delivered["addresses"], "addresses")
    items = reference(reference_root, "items", "item_id")
    promos = reference(reference_root, "promos", "promo_id")
    orders: dict[str, Expected] = {}
    for sale, late in delivered["sales"].records:
        line_id = f"{sale['order_id']}-{sale['item_id']}"
        if line_id in orders:
            continue  # a redelivery: one document per sale line
        at = millis(sale["sale_datetime"])
        fields = {
            k: (
                Decimal(str(v))
                if v is not None and k not in TEXT_FIELDS and k not in ("order_id", "item_id", "quantity")
                else v
            )
            for k, v in sale.items()
        }
        fields["line_id"] = line_id
        fields["item"] = items.get(str(sale["item_id"]))
        fields["promo"] = promos.get(sale["promo_id"]) if sale["promo_id"] is not None else None
        fields["dt"] = dt.datetime.fromtimestamp(at / 1000, dt.timezone.utc).strftime("%Y-%m-%d")
        enrichments = None
        if not late:
            enrichments = []
            for late_visible in (True, False):
                candidate = _enrich(sale, at, customers, addresses, late_visible, fields, geocode)
                if candidate not in enrichments:
                    enrichments.append(candidate)
        orders[line_id] = Expected(fields, enrichments)
    dead = Counter((s, line) for s in STREAMS for line in delivered[s].invalid)
    return Oracle(orders, dead)


def _enrich(
    sale: dict, at: int, customers: Versions, addresses: Versions, late_visible: bool, fields: dict, geocode: Geocoder
) -> tuple:
    missing = []
    documents = []
    for role in ("bill", "ship"):
        customer = customers.as_of(sale[f"{role}_customer_id"], at, late_visible)
        address = addresses.as_of(customer["address_id"], at, late_visible) if customer else None
        if customer is None:
            missing.append(f"{role}_customer")
        elif address is None:
            missing.append(f"{role}_customer.address")
        documents.append(customer_document(customer, address, geocode))
    if fields["item"] is None:
        missing.append("item")
    if sale["promo_id"] is not None and fields["promo"] is None:
        missing.append("promo")
    return documents[0], documents[1], sorted(missing)
