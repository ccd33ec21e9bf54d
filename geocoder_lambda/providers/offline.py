"""The embedded provider: the US ZIP code's centroid, else the centroid of the city within its state.

Its data is the `zipcodes` package. Its own lookups scan all 42,789 ZIP codes (about 250 µs each),
so the index is built per state, on the first address in that state, and kept for the container.
The package loads its data on first use (1.6 s on the project's machine, 2026-12-03) and a state's
index takes about 19 ms, so a process that serves many requests (`geocoder_lambda.serve`) builds
them all before its first (`warm`).
"""

from __future__ import annotations

import functools

import zipcodes

from geocoder_lambda.model import NOT_FOUND, Address, Answer

Point = tuple[float, float]


def _city_name(city: str | None) -> str:
    return " ".join((city or "").upper().split())


def _centroid(points: list[Point]) -> Point:
    return (round(sum(p[0] for p in points) / len(points), 4), round(sum(p[1] for p in points) / len(points), 4))


@functools.lru_cache(maxsize=None)
def _state_index(state: str) -> tuple[dict[str, Point], dict[str, Point]]:
    """The state's ZIP codes -> centroid, and its city names -> the mean of their ZIP centroids.

    A name that is only an accepted alias of other places' ZIP codes (a neighbourhood, a former
    name) gets the mean of those.
    """
    zips: dict[str, Point] = {}
    own: dict[str, list[Point]] = {}
    alias: dict[str, list[Point]] = {}
    for row in zipcodes.filter_by(state=state):
        point = (float(row["lat"]), float(row["long"]))
        zips[row["zip_code"]] = point
        own.setdefault(_city_name(row["city"]), []).append(point)
        for name in row["acceptable_cities"]:
            alias.setdefault(_city_name(name), []).append(point)
    return zips, {name: _centroid(points) for name, points in {**alias, **own}.items()}


class OfflineProvider:
    name = "offline"

    def warm(self) -> None:
        """Loads the ZIP codes and builds every state's index now (about 2.5 s on the project's
        machine), for a process that will serve many requests."""
        for state in {row["state"] for row in zipcodes.list_all()}:
            _state_index(state)

    def geocode(self, address: Address) -> Answer:
        zip5 = (address.zip or "").strip()[:5]
        has_zip = len(zip5) == 5 and zip5.isdigit()
        state = (address.state or "").strip().upper()
        zips, cities = _state_index(state) if len(state) == 2 and state.isalpha() else ({}, {})
        point = zips.get(zip5)
        if point is None and has_zip:
            rows = zipcodes.matching(zip5)  # no state, or a ZIP code of another state: the slow scan
            point = (float(rows[0]["lat"]), float(rows[0]["long"])) if rows else None
        if point is not None:
            return Answer("ok", point[0], point[1], "postcode", self.name)
        point = cities.get(_city_name(address.city))
        if point is not None:
            return Answer("ok", point[0], point[1], "locality", self.name)
        return NOT_FOUND
