"""The provider chain: geopy and Amazon Location over real HTTP to local stand-ins, fallthrough on
failure, and 503 when every provider fails."""

from __future__ import annotations

import json
import os
import re
import uuid

import pytest

from geocoder_lambda.model import Address, ProviderError
from geocoder_lambda.providers.aws_location import AwsLocationProvider
from geocoder_lambda.providers.geopy_provider import GeopyProvider
from tests.support.http_stub import HttpStub, closed_port
from tests.test_geocoder_handler import event_file, invoke, zip_centroid

WHITE_HOUSE = Address(
    street="1600 Pennsylvania Ave NW", city="Washington", state="DC", zip="20500", country="United States"
)


def nominatim_env(port: int) -> dict[str, str]:
    return {
        "GEOPY_NOMINATIM_DOMAIN": f"127.0.0.1:{port}",
        "GEOPY_NOMINATIM_SCHEME": "http",
        "GEOPY_NOMINATIM_MIN_DELAY_SECONDS": "0",
        "GEOCODER_PROVIDER_TIMEOUT_SECONDS": "2",
    }


@pytest.fixture
def nominatim():
    """Answers /search as Nominatim does: a house for Pennsylvania Ave, nothing for anything else."""

    def respond(method, path, query, body):
        if path == "/search" and "Pennsylvania" in query.get("q", ""):
            return 200, [
                {
                    "lat": "38.8976763",
                    "lon": "-77.0365298",
                    "display_name": "White House",
                    "addresstype": "house",
                    "place_id": 1,
                }
            ]
        return 200, []

    stub = HttpStub(respond)
    yield stub
    stub.close()


def test_geopy_provider_asks_the_service_and_reads_its_precision(nominatim):
    provider = GeopyProvider.from_env("nominatim", nominatim_env(nominatim.port), timeout=2)
    answer = provider.geocode(WHITE_HOUSE)
    assert (answer.status, answer.lat, answer.lon, answer.precision, answer.provider) == (
        "ok",
        38.8976763,
        -77.0365298,
        "rooftop",
        "geopy:nominatim",
    )
    method, path, query, _ = nominatim.requests[0]
    assert (method, path) == ("GET", "/search")
    assert query["q"] == "1600 Pennsylvania Ave NW, Washington, DC 20500, United States"
    assert provider.geocode(Address(city="Nowhere")).status == "not_found"


def test_geopy_provider_error_is_a_provider_error():
    provider = GeopyProvider.from_env("nominatim", nominatim_env(closed_port()), timeout=2)
    with pytest.raises(ProviderError, match="geopy:nominatim"):
        provider.geocode(WHITE_HOUSE)


def test_nominatim_is_rate_limited_to_its_policy_by_default():
    provider = GeopyProvider.from_env("nominatim", {}, timeout=1)
    assert provider._geocode.min_delay_seconds == 1.0


@pytest.fixture
def places():
    """Answers POST /v2/geocode as Amazon Location's places API does."""

    def respond(method, path, query, body):
        if path != "/v2/geocode":
            return 404, {"message": "not found"}
        if "Pennsylvania" in body["QueryText"]:
            return 200, {
                "ResultItems": [
                    {
                        "PlaceId": "p1",
                        "PlaceType": "PointAddress",
                        "Title": "1600 Pennsylvania",
                        "Position": [-77.03653, 38.89768],
                    }
                ]
            }
        if "Throttle" in body["QueryText"]:
            return 429, {"message": "Rate exceeded"}
        return 200, {"ResultItems": []}

    stub = HttpStub(respond)
    yield stub
    stub.close()


def location_env(url: str) -> dict[str, str]:
    """The places API's stand-in found the SDK's standard way."""
    return {"AWS_ENDPOINT_URL_GEO_PLACES": url, "GEOCODER_LOCATION_REGION": "us-east-1"}


def location_provider(url: str, monkeypatch) -> AwsLocationProvider:
    env = location_env(url)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return AwsLocationProvider.from_env(env, timeout=2)


def test_aws_location_provider_uses_the_places_api(places, monkeypatch):
    provider = location_provider(places.url, monkeypatch)
    answer = provider.geocode(WHITE_HOUSE)
    assert (answer.status, answer.lat, answer.lon, answer.precision, answer.provider) == (
        "ok",
        38.89768,
        -77.03653,
        "rooftop",
        "aws-location",
    )
    method, path, _, body = places.requests[0]
    assert (method, path) == ("POST", "/v2/geocode")
    assert body == {"QueryText": WHITE_HOUSE.one_line(), "MaxResults": 1, "Filter": {"IncludeCountries": ["USA"]}}
    assert provider.geocode(Address(city="Nowhere", country="France")).status == "not_found"
    assert "Filter" not in places.requests[-1][3]


def test_aws_location_throttling_is_a_provider_error(places, monkeypatch):
    provider = location_provider(places.url, monkeypatch)
    with pytest.raises(ProviderError, match="aws-location"):
        provider.geocode(Address(street="Throttle St"))


def test_a_failing_provider_hands_the_address_to_the_next(configure, capsys):
    configure(GEOCODER_PROVIDERS="geopy:nominatim,offline", **nominatim_env(closed_port()))
    status, body = invoke(event_file("function_url_single.json"))
    assert status == 200
    assert body["results"][0]["provider"] == "offline"
    assert body["results"][0]["location"] == zip_centroid("20500")
    errors = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"ProviderErrors"' in line]
    assert errors and errors[0]["provider"] == "geopy:nominatim"


def test_not_found_asks_the_next_provider_and_the_answer_names_who_found_it(configure, places):
    configure(GEOCODER_PROVIDERS="offline,aws-location", **location_env(places.url))
    event = event_file("function_url_single.json")
    event["body"] = json.dumps({"addresses": [{"id": "a", "street": "1600 Pennsylvania Ave NW", "zip": "00000"}]})
    status, body = invoke(event)
    assert (status, body["results"][0]["provider"], body["results"][0]["precision"]) == (200, "aws-location", "rooftop")


def test_every_provider_failing_gives_503_so_the_caller_retries(configure, places):
    configure(
        GEOCODER_PROVIDERS="geopy:nominatim,aws-location",
        **nominatim_env(closed_port()),
        **location_env(f"http://127.0.0.1:{closed_port()}"),
    )
    response_status, body = invoke(event_file("function_url_batch.json"))
    assert response_status == 503
    assert "every geocoding provider failed for 4 of 4 addresses" in body["message"]


@pytest.fixture
def provider_secret(moto_url, monkeypatch):
    """Makes a secret in moto's Secrets Manager (found the SDK's standard way) and gives its ARN."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto_url)
    client = boto3.client("secretsmanager", endpoint_url=moto_url)

    def make(value: str) -> str:
        return client.create_secret(Name=f"geocoder-{uuid.uuid4().hex}", SecretString=value)["ARN"]

    return make


def test_provider_settings_come_from_their_secret_not_the_environment(configure, nominatim, provider_secret):
    settings = {k: v for k, v in nominatim_env(nominatim.port).items() if k.startswith("GEOPY_")}
    configure(GEOCODER_PROVIDERS="geopy:nominatim", GEOCODER_PROVIDER_SECRET=provider_secret(json.dumps(settings)))
    assert not [k for k in os.environ if k.startswith("GEOPY_")]
    event = event_file("function_url_single.json")
    event["body"] = json.dumps({"addresses": [{"id": "a", "street": "1600 Pennsylvania Ave NW", "zip": "20500"}]})
    status, body = invoke(event)
    assert (status, body["results"][0]["provider"], body["results"][0]["precision"]) == (
        200,
        "geopy:nominatim",
        "rooftop",
    )
    assert nominatim.requests  # the stand-in the secret names was asked


@pytest.mark.parametrize(
    "value, reason",
    [
        ('{"GEOCODER_PROVIDERS": "offline"}', "only GEOPY_\\* strings belong there"),
        ("not json", "is not a JSON object"),
        ('["GEOPY_X"]', "is not a JSON object"),
    ],
)
def test_a_bad_provider_secret_is_a_clear_configuration_error(configure, provider_secret, value, reason):
    configure(GEOCODER_PROVIDERS="offline", GEOCODER_PROVIDER_SECRET=provider_secret(value))
    status, body = invoke(event_file("function_url_single.json"))
    assert status == 500 and re.search(reason, body["message"]), body


def test_a_missing_provider_secret_is_a_clear_configuration_error(configure, provider_secret):
    missing = provider_secret("{}").replace("geocoder-", "absent-")
    configure(GEOCODER_PROVIDERS="offline", GEOCODER_PROVIDER_SECRET=missing)
    status, body = invoke(event_file("function_url_single.json"))
    assert status == 500 and "cannot read the provider secret" in body["message"], body


def test_warming_the_offline_provider_indexes_every_state_ahead_of_the_first_address():
    from geocoder_lambda.providers import offline

    offline._state_index.cache_clear()
    offline.OfflineProvider().warm()
    states = {row["state"] for row in offline.zipcodes.list_all()}
    assert offline._state_index.cache_info().currsize == len(states) > 50
