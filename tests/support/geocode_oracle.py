"""Where the embedded geocoder (the `offline` provider the served handler uses by default) must put
an address, computed here from the `zipcodes` data with none of geocoder_lambda's code: the ZIP
code's point, else the mean of the points of the ZIP codes of the city in its state (the city's own
ZIP codes if it has any, else those that accept its name), else not found."""

from __future__ import annotations

import functools
from decimal import Decimal

import zipcodes

LOCATION_PLACES = Decimal("0.000001")  # Java 17 and Python may print the same double differently beyond this


def location(lat: float, lon: float) -> dict:
    return {"lat": Decimal(repr(lat)).quantize(LOCATION_PLACES), "lon": Decimal(repr(lon)).quantize(LOCATION_PLACES)}


def offline_geocode(address: dict) -> tuple[dict | None, dict]:
    """(location, geocode) of docs/contract.md §3 for an address record."""
    return _geocode(address.get("zip"), address.get("state"), address.get("city"))


@functools.lru_cache(maxsize=None)
def _geocode(zip_code: str | None, state: str | None, city: str | None) -> tuple[dict | None, dict]:
    zip_code = (zip_code or "").strip()[:5]
    rows = zipcodes.matching(zip_code) if len(zip_code) == 5 and zip_code.isdigit() else []
    if rows:
        return location(float(rows[0]["lat"]), float(rows[0]["long"])), _found("postcode")
    state = (state or "").strip().upper()
    city = " ".join((city or "").upper().split())
    in_state = zipcodes.filter_by(state=state) if len(state) == 2 and state.isalpha() else []
    points = [(r["lat"], r["long"]) for r in in_state if " ".join(r["city"].upper().split()) == city] or [
        (r["lat"], r["long"])
        for r in in_state
        if city in {" ".join(name.upper().split()) for name in r["acceptable_cities"]}
    ]
    if points:
        lat = round(sum(float(p[0]) for p in points) / len(points), 4)
        lon = round(sum(float(p[1]) for p in points) / len(points), 4)
        return location(lat, lon), _found("locality")
    return None, {"status": "not_found", "precision": None, "provider": None}


def _found(precision: str) -> dict:
    return {"status": "ok", "precision": precision, "provider": "offline"}
