"""Amazon Location Service through the current places API (`geo-places` Geocode), with the function's role.

Region: GEOCODER_LOCATION_REGION, else the function's AWS_REGION. The endpoint is the SDK's
(AWS_ENDPOINT_URL_GEO_PLACES or AWS_ENDPOINT_URL point it at an emulator or a stand-in).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from geocoder_lambda.model import NOT_FOUND, Address, Answer, ProviderError

PRECISION = {
    "PointAddress": "rooftop",
    "SecondaryAddress": "rooftop",
    "InferredSecondaryAddress": "rooftop",
    "InterpolatedAddress": "street",
    "Street": "street",
    "Intersection": "street",
    "Block": "street",
    "SubBlock": "street",
    "PostalCode": "postcode",
}
US_NAMES = {"united states", "united states of america", "usa", "us"}


class AwsLocationProvider:
    name = "aws-location"

    def __init__(self, client: Any):
        self._client = client

    @classmethod
    def from_env(cls, env: Mapping[str, str], timeout: float) -> AwsLocationProvider:
        region = env.get("GEOCODER_LOCATION_REGION") or env.get("AWS_REGION")
        config = Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 2})
        return cls(boto3.client("geo-places", region_name=region, config=config))

    def geocode(self, address: Address) -> Answer:
        request: dict[str, Any] = {"QueryText": address.one_line(), "MaxResults": 1}
        if (address.country or "").strip().lower() in US_NAMES:
            request["Filter"] = {"IncludeCountries": ["USA"]}
        try:
            items = self._client.geocode(**request).get("ResultItems", [])
        except (BotoCoreError, ClientError) as error:
            raise ProviderError(f"{self.name}: {error}") from error
        if not items or "Position" not in items[0]:
            return NOT_FOUND
        lon, lat = items[0]["Position"]
        return Answer("ok", lat, lon, PRECISION.get(items[0].get("PlaceType"), "locality"), self.name)
