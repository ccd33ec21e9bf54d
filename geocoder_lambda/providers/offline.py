"""The embedded provider: the US ZIP code's centroid, else the centroid of the city within its state.

Its data is the `zipcodes` package: ZIP lookups are answered by its compiled index (nothing to load);
the city index of a state is built on the first address in that state and kept for the container.
"""

from __future__ import annotations

import functools

import zipcodes

from geocoder_lambda.model import NOT_FOUND, Address, Answer


def _city_name(city: str | None) -> str:
    return " ".join((city or "").upper().split())


@functools.lru_cache(maxsize=None)
def _cities_in(state: str) -> dict[str, tuple[float, float]]:
    """City name -> the mean of the centroids of its ZIP codes. A name that is only an accepted
    alias of other places' ZIP codes (a neighbourhood, a former name) gets the mean of those."""
    own: dict[str, list[tuple[float, float]]] = {}
    alias: dict[str, list[tuple[float, float]]] = {}
    for row in zipcodes.filter_by(state=state):
        point = (float(row["lat"]), float(row["long"]))
        own.setdefault(_city_name(row["city"]), []).append(point)
        for name in row["acceptable_cities"]:
            alias.setdefault(_city_name(name), []).append(point)
    return {name: _centroid(points) for name, points in {**alias, **own}.items()}


def _centroid(points: list[tuple[float, float]]) -> tuple[float, float]:
    return (round(sum(p[0] for p in points) / len(points), 4), round(sum(p[1] for p in points) / len(points), 4))


class OfflineProvider:
    name = "offline"

    def geocode(self, address: Address) -> Answer:
        zip5 = (address.zip or "").strip()[:5]
        if len(zip5) == 5 and zip5.isdigit():
            rows = zipcodes.matching(zip5)
            if rows:
                return Answer("ok", float(rows[0]["lat"]), float(rows[0]["long"]), "postcode", self.name)
        state = (address.state or "").strip().upper()
        if len(state) == 2 and state.isalpha() and address.city:
            point = _cities_in(state).get(_city_name(address.city))
            if point is not None:
                return Answer("ok", point[0], point[1], "locality", self.name)
        return NOT_FOUND
