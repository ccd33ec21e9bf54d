"""What is asked (an address) and what is answered (a location, or not found)."""

from __future__ import annotations

from dataclasses import dataclass

GEOCODABLE_FIELDS = ("street", "city", "county", "state", "zip", "country")


def normalise(text: str | None) -> str:
    """Case and white space do not make a different address."""
    return " ".join(text.split()).casefold() if text else ""


@dataclass(frozen=True, slots=True)
class Address:
    street: str | None = None
    city: str | None = None
    county: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None

    def cache_key(self) -> str:
        return "|".join(normalise(getattr(self, f)) for f in GEOCODABLE_FIELDS)

    def one_line(self) -> str:
        """`1 Main St, Springfield, IL 62701, United States`, for providers that take free text."""
        state_zip = " ".join(p for p in (self.state, self.zip) if p)
        return ", ".join(p for p in (self.street, self.city, state_zip, self.country) if p)


@dataclass(frozen=True, slots=True)
class Answer:
    status: str  # "ok" | "not_found"
    lat: float | None = None
    lon: float | None = None
    precision: str | None = None  # "rooftop" | "street" | "postcode" | "locality"
    provider: str | None = None

    def as_result(self, address_id: str) -> dict:
        location = None if self.lat is None else {"lat": self.lat, "lon": self.lon}
        return {
            "id": address_id,
            "status": self.status,
            "location": location,
            "precision": self.precision,
            "provider": self.provider,
        }


NOT_FOUND = Answer("not_found")


class ProviderError(Exception):
    """A provider could not answer (timeout, throttling, outage): the next one in the chain is asked."""
