"""Customers and addresses as histories of versions (docs/contract.md §1: every creation and update is an event)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from datagen import people
from datagen.clock import iso
from datagen.config import GeneratorConfig
from datagen.places import Place, known_zips, us_places

# The customer system runs on US Eastern standard time: its timestamps carry -05:00, the others Z.
CUSTOMER_OFFSET_MINUTES = -300
_NONSENSE_STEMS = ["Zor", "Quel", "Vrax", "Ulmo", "Thex", "Brakk", "Yss", "Kovar"]
_NONSENSE_TAILS = ["vath Flats", "ique Hollow", "ora Crossing", "ent Bluffs", "ax Landing"]

Event = tuple[int, str, dict]  # (event time ms, entity id, record)


@dataclass
class World:
    customer_events: list[Event] = field(default_factory=list)
    address_events: list[Event] = field(default_factory=list)
    # Customers ordered by creation time, for sales to pick only customers that already exist.
    creation_ms: list[int] = field(default_factory=list)
    ids_by_creation: list[str] = field(default_factory=list)


def customer_id(number: int) -> str:
    return f"C{number:08d}"


def build_world(cfg: GeneratorConfig, rng: random.Random, counts: Counter) -> World:
    builder = _WorldBuilder(cfg, rng, counts)
    for number in range(1, cfg.customers + 1):
        builder.add_customer(number)
    return builder.finish()


class _WorldBuilder:
    def __init__(self, cfg: GeneratorConfig, rng: random.Random, counts: Counter):
        self.cfg, self.rng, self.counts = cfg, rng, counts
        self.world = World()
        self.places = us_places()
        self.known_zips = known_zips()
        self.known_cities = {(p.city.upper(), p.state) for p in self.places}
        self.next_address_number = cfg.customers + 1
        self.initial_customers = max(1, cfg.customers // 2)

    def add_customer(self, number: int) -> None:
        cfg, rng = self.cfg, self.rng
        cid = customer_id(number)
        if number <= self.initial_customers:  # the customers that exist before the period starts
            created = cfg.start_ms - rng.randint(1, 86_400_000)
        else:
            created = rng.randint(cfg.start_ms, cfg.end_ms - 1)
        address_id = f"A{number:08d}"
        self.add_address(address_id, created - rng.randint(1_000, 120_000))
        person = people.new_person(rng, cid)
        self.add_customer_version(cid, created, person, address_id)

        updates = 0
        while rng.random() < cfg.realities.customer_updates:
            updates += 1
        kinds = ["update"] * updates + (["move"] if rng.random() < cfg.realities.moves else [])
        if created + 1_000 >= cfg.end_ms:
            return
        for at, kind in sorted((rng.randint(created + 1_000, cfg.end_ms - 1), k) for k in kinds):
            if kind == "move":
                address_id = f"A{self.next_address_number:08d}"
                self.next_address_number += 1
                self.add_address(address_id, at - rng.randint(1_000, 120_000))
                self.counts["moves"] += 1
            else:
                person = people.changed_person(rng, person)
                self.counts["customer_updates"] += 1
            self.add_customer_version(cid, at, person, address_id)

    def add_customer_version(self, cid: str, at: int, person: dict, address_id: str) -> None:
        record = {
            "customer_id": cid,
            **person,
            "address_id": address_id,
            "customer_datetime": iso(at, CUSTOMER_OFFSET_MINUTES),
        }
        # Contract field order: address_id sits after email_address.
        ordered = {k: record[k] for k in _CUSTOMER_FIELDS}
        self.world.customer_events.append((at, cid, ordered))

    def add_address(self, address_id: str, at: int) -> None:
        rng = self.rng
        place = rng.choice(self.places)
        county: str | None
        city, county, zip_code = place.city, place.county, place.zip
        if rng.random() < self.cfg.realities.unknown_addresses:
            zip_code = self._unknown_zip()
            if rng.random() < 0.5:
                self.counts["unknown_zip_known_city"] += 1
            else:
                city, county = self._unknown_city(place), None
                self.counts["unknown_place"] += 1
        record = {
            "address_id": address_id,
            "street": people.street(rng),
            "city": city,
            "county": county,
            "state": place.state,
            "zip": zip_code,
            "country": "United States",
            "gmt_offset": place.gmt_offset,
            "location_type": rng.choice(people.LOCATION_TYPES),
            "address_datetime": iso(at),
        }
        self.world.address_events.append((at, address_id, record))
        if rng.random() < self.cfg.realities.address_updates and at + 1_000 < self.cfg.end_ms:
            self._add_address_correction(record, place)

    def _add_address_correction(self, record: dict, place: Place) -> None:
        rng = self.rng
        created = self.world.address_events[-1][0]
        at = rng.randint(created + 1_000, self.cfg.end_ms - 1)
        corrected = dict(record, address_datetime=iso(at))
        if rng.random() < 0.5:
            corrected["street"] = f"{record['street']} Apt {rng.randint(1, 40)}"  # changes what is geocoded
        else:
            others = [t for t in people.LOCATION_TYPES if t != record["location_type"]]
            corrected["location_type"] = rng.choice(others)  # does not
        self.world.address_events.append((at, record["address_id"], corrected))
        self.counts["address_updates"] += 1

    def _unknown_zip(self) -> str:
        while True:
            candidate = f"{self.rng.randint(0, 99999):05d}"
            if candidate not in self.known_zips:
                return candidate

    def _unknown_city(self, place: Place) -> str:
        while True:
            name = self.rng.choice(_NONSENSE_STEMS) + self.rng.choice(_NONSENSE_TAILS)
            if (name.upper(), place.state) not in self.known_cities:
                return name

    def finish(self) -> World:
        world = self.world
        world.customer_events.sort(key=lambda e: e[0])
        world.address_events.sort(key=lambda e: e[0])
        created: dict[str, int] = {}
        for at, cid, _ in world.customer_events:
            created.setdefault(cid, at)
        by_creation = sorted(created.items(), key=lambda kv: kv[1])
        world.ids_by_creation = [cid for cid, _ in by_creation]
        world.creation_ms = [at for _, at in by_creation]
        return world


_CUSTOMER_FIELDS = [
    "customer_id",
    "salutation",
    "first_name",
    "last_name",
    "birth_country",
    "email_address",
    "address_id",
    "gender",
    "marital_status",
    "education_status",
    "purchase_estimate",
    "credit_rating",
    "buy_potential",
    "vehicle_count",
    "lower_bound",
    "upper_bound",
    "birth_date",
    "customer_datetime",
]
