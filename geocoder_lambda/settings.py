"""The function's configuration, from its environment (set by template.yaml; locally by the shell)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class ConfigurationError(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    providers: str = "offline"  # GEOCODER_PROVIDERS: the fallback chain, e.g. "aws-location,offline"
    provider_timeout_seconds: float = 5.0  # GEOCODER_PROVIDER_TIMEOUT_SECONDS
    lru_size: int = 100_000  # GEOCODER_LRU_SIZE: answers kept per container
    cache_table: str | None = None  # GEOCODER_CACHE_TABLE: the shared DynamoDB cache, if any
    cache_ttl_days: float = 30.0  # GEOCODER_CACHE_TTL_DAYS
    provider_secret: str | None = None  # GEOCODER_PROVIDER_SECRET: a secret holding GEOPY_* settings

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        try:
            return cls(
                providers=env.get("GEOCODER_PROVIDERS", cls.providers),
                provider_timeout_seconds=float(
                    env.get("GEOCODER_PROVIDER_TIMEOUT_SECONDS", cls.provider_timeout_seconds)
                ),
                lru_size=int(env.get("GEOCODER_LRU_SIZE", cls.lru_size)),
                cache_table=env.get("GEOCODER_CACHE_TABLE") or None,
                cache_ttl_days=float(env.get("GEOCODER_CACHE_TTL_DAYS", cls.cache_ttl_days)),
                provider_secret=env.get("GEOCODER_PROVIDER_SECRET") or None,
            )
        except ValueError as error:
            raise ConfigurationError(f"bad geocoder setting: {error}") from None


def provider_settings(secret: str | None) -> dict[str, str]:
    """The `GEOPY_*` settings (API keys) kept in the Secrets Manager secret `secret` (name or ARN),
    a JSON object; none without a secret. Read once per container, so that keys stay out of the
    function's environment, where anyone who may describe the function reads them."""
    if secret is None:
        return {}
    from aws_lambda_powertools.utilities import parameters

    try:
        values = parameters.get_secret(secret, transform="json")
    except parameters.exceptions.GetParameterError as error:
        raise ConfigurationError(f"cannot read the provider secret {secret}: {error}") from None
    except parameters.exceptions.TransformParameterError:
        raise ConfigurationError(f"the provider secret {secret} is not a JSON object") from None
    if not isinstance(values, dict):
        raise ConfigurationError(f"the provider secret {secret} is not a JSON object")
    wrong = sorted(k for k, v in values.items() if not k.startswith("GEOPY_") or not isinstance(v, str))
    if wrong:
        raise ConfigurationError(f"the provider secret {secret} holds {wrong}: only GEOPY_* strings belong there")
    return values
