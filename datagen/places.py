"""Real US places from the `zipcodes` package: the source of consistent city/county/state/ZIP."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import zipcodes


@dataclass(frozen=True, slots=True)
class Place:
    zip: str
    city: str
    county: str
    state: str
    gmt_offset: float  # standard-time offset in hours, as TPC-DS keeps it


@functools.lru_cache(maxsize=None)
def _standard_offset(timezone: str) -> float:
    offset = ZoneInfo(timezone).utcoffset(dt.datetime(2026, 1, 15))
    assert offset is not None
    return round(offset.total_seconds() / 3600, 2)


@functools.lru_cache(maxsize=1)
def us_places() -> tuple[Place, ...]:
    """Active, standard (street-deliverable) ZIP codes that have a time zone and a county."""
    return tuple(
        Place(
            zip=row["zip_code"],
            city=row["city"],
            county=row["county"],
            state=row["state"],
            gmt_offset=_standard_offset(row["timezone"]),
        )
        for row in zipcodes.list_all()
        if row["active"] and row["zip_code_type"] == "STANDARD" and row["timezone"] and row["county"]
    )


@functools.lru_cache(maxsize=1)
def known_zips() -> frozenset[str]:
    return frozenset(row["zip_code"] for row in zipcodes.list_all())
