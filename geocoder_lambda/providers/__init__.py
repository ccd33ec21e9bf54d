"""Geocoding providers behind one small interface, chained by configuration (GEOCODER_PROVIDERS)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from geocoder_lambda.model import Address, Answer


class Provider(Protocol):
    name: str

    def geocode(self, address: Address) -> Answer:
        """An `ok` or `not_found` answer; raises ProviderError when it cannot answer."""
        ...


def build_chain(spec: str, env: Mapping[str, str], timeout: float) -> list[Provider]:
    """`aws-location,geopy:nominatim,offline` -> the providers, asked in that order."""
    names = [part.strip() for part in spec.split(",") if part.strip()]
    if not names:
        raise ValueError("GEOCODER_PROVIDERS names no provider; the embedded default is 'offline'")
    chain: list[Provider] = []
    for name in names:
        if name == "offline":
            from geocoder_lambda.providers.offline import OfflineProvider

            chain.append(OfflineProvider())
        elif name == "aws-location":
            from geocoder_lambda.providers.aws_location import AwsLocationProvider

            chain.append(AwsLocationProvider.from_env(env, timeout))
        elif name.startswith("geopy:"):
            from geocoder_lambda.providers.geopy_provider import GeopyProvider

            chain.append(GeopyProvider.from_env(name.removeprefix("geopy:"), env, timeout))
        else:
            raise ValueError(f"unknown geocoding provider {name!r}: use offline, aws-location or geopy:<service>")
    return chain
