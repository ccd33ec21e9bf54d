"""geopy's geocoders (Nominatim, Photon, ArcGIS, OpenCage, Pelias, ...), configured from the environment.

`GEOPY_<SERVICE>_<PARAM>` becomes the geocoder's `<param>` argument (`GEOPY_OPENCAGE_API_KEY=...`
-> `api_key=...`); `GEOPY_<SERVICE>_MIN_DELAY_SECONDS` spaces the calls (default 1 s for Nominatim,
whose usage policy allows one request a second; 0 for the others).
"""

from __future__ import annotations

from collections.abc import Mapping

from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import get_geocoder_for_service

from geocoder_lambda.model import NOT_FOUND, Address, Answer, ProviderError

DEFAULT_MIN_DELAY = {"nominatim": 1.0}
DEFAULT_SETTINGS = {"nominatim": {"user_agent": "streaming-orders-geocoder"}}
# Nominatim's `addresstype` and ArcGIS's `Addr_type`, where a provider says how precise a match is.
PRECISION = {
    "house": "rooftop",
    "building": "rooftop",
    "PointAddress": "rooftop",
    "Subaddress": "rooftop",
    "road": "street",
    "StreetAddress": "street",
    "StreetName": "street",
    "StreetInt": "street",
    "postcode": "postcode",
    "Postal": "postcode",
    "PostalExt": "postcode",
}


class GeopyProvider:
    def __init__(self, service: str, settings: dict[str, str], timeout: float, min_delay: float):
        try:
            geocoder_class = get_geocoder_for_service(service)
        except GeopyError:
            raise ValueError(f"geopy has no geocoding service {service!r}") from None
        self.name = f"geopy:{service}"
        self._geocoder = geocoder_class(timeout=timeout, **settings)
        self._geocode = RateLimiter(
            self._geocoder.geocode, min_delay_seconds=min_delay, max_retries=0, swallow_exceptions=False
        )

    @classmethod
    def from_env(cls, service: str, env: Mapping[str, str], timeout: float) -> GeopyProvider:
        prefix = f"GEOPY_{service.upper()}_"
        settings = dict(DEFAULT_SETTINGS.get(service, {}))
        settings.update({k.removeprefix(prefix).lower(): v for k, v in env.items() if k.startswith(prefix)})
        min_delay = float(settings.pop("min_delay_seconds", DEFAULT_MIN_DELAY.get(service, 0.0)))
        return cls(service, settings, timeout, min_delay)

    def geocode(self, address: Address) -> Answer:
        try:
            location = self._geocode(address.one_line(), exactly_one=True)
        except GeopyError as error:
            raise ProviderError(f"{self.name}: {error}") from error
        if location is None:
            return NOT_FOUND
        return Answer("ok", location.latitude, location.longitude, self._precision(location.raw, address), self.name)

    @staticmethod
    def _precision(raw: dict, address: Address) -> str:
        kind = raw.get("addresstype") or raw.get("attributes", {}).get("Addr_type")
        if kind in PRECISION:
            return PRECISION[kind]
        return "street" if address.street else "locality"
