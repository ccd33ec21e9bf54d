"""The geocoding caches: the per-container LRU and the shared DynamoDB table (moto over HTTP)."""

from __future__ import annotations

import itertools

import boto3
import pytest

from geocoder_lambda.cache import LruCache
from geocoder_lambda.geocoder import Geocoder
from geocoder_lambda.model import Address, Answer, ProviderError
from geocoder_lambda.providers.offline import OfflineProvider
from geocoder_lambda.shared_cache import DynamoDbCache
from tests.support.http_stub import closed_port
from tests.test_geocoder_handler import event_file, invoke

_tables = itertools.count()


class CountingOffline(OfflineProvider):
    """The real offline provider, counting what it is asked."""

    def __init__(self) -> None:
        self.asked: list[Address] = []

    def geocode(self, address: Address) -> Answer:
        self.asked.append(address)
        return super().geocode(address)


@pytest.fixture
def dynamodb(moto_url):
    return boto3.client("dynamodb", endpoint_url=moto_url, region_name="us-east-1")


@pytest.fixture
def table(dynamodb) -> str:
    name = f"geocode-cache-{next(_tables)}"
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "address_key", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "address_key", "KeyType": "HASH"}],
    )
    return name


def test_lru_evicts_the_least_recently_used():
    lru = LruCache(2)
    lru.put("a", Answer("not_found"))
    lru.put("b", Answer("not_found"))
    lru.get("a")
    lru.put("c", Answer("not_found"))
    assert (lru.get("a"), lru.get("b"), len(lru)) == (Answer("not_found"), None, 2)


def test_each_address_is_asked_once_per_container_whatever_its_case_and_spacing():
    provider = CountingOffline()
    geocoder = Geocoder([provider], LruCache(100))
    first = geocoder.geocode(
        [Address(city="Boston", state="MA", zip="02108"), Address(city=" boston ", state="ma", zip="02108")]
    )
    second = geocoder.geocode([Address(city="BOSTON", state="MA", zip="02108")])
    assert len(provider.asked) == 1
    assert first.answers[0] == first.answers[1] == second.answers[0]
    assert (first.stats["lru_hits"], second.stats["lru_hits"]) == (0, 1)


def test_shared_cache_miss_then_hit_in_a_new_container(dynamodb, table):
    address = Address(street="350 5th Ave", city="New York", state="NY", zip="10001")
    first_container = CountingOffline()
    cold = Geocoder([first_container], LruCache(10), DynamoDbCache(dynamodb, table, ttl_seconds=3600))
    miss = cold.geocode([address])
    assert (miss.stats["shared_hits"], len(first_container.asked)) == (0, 1)
    stored = dynamodb.scan(TableName=table)["Items"]
    assert len(stored) == 1 and stored[0]["provider"] == {"S": "offline"}

    second_container = CountingOffline()
    warm = Geocoder([second_container], LruCache(10), DynamoDbCache(dynamodb, table, ttl_seconds=3600))
    hit = warm.geocode([address])
    assert (hit.stats["shared_hits"], len(second_container.asked)) == (1, 0)
    assert hit.answers == miss.answers


def test_expired_shared_entries_are_not_used(dynamodb, table):
    now = [1_000_000.0]
    cache = DynamoDbCache(dynamodb, table, ttl_seconds=60, clock=lambda: now[0])
    cache.put_many({"k": Answer("ok", 1.0, 2.0, "postcode", "offline")})
    assert cache.get_many(["k"]) == {"k": Answer("ok", 1.0, 2.0, "postcode", "offline")}
    now[0] += 61
    assert cache.get_many(["k"]) == {}


def test_shared_cache_reads_and_writes_in_batches_within_dynamodb_limits(dynamodb, table):
    cache = DynamoDbCache(dynamodb, table, ttl_seconds=3600)
    answers = {f"key-{i}": Answer("ok", float(i), -float(i), "postcode", "offline") for i in range(130)}
    cache.put_many(answers)  # 6 BatchWriteItem calls of at most 25
    assert cache.get_many(list(answers)) == answers  # 2 BatchGetItem calls of at most 100


def test_an_unavailable_shared_cache_does_not_fail_the_request(dynamodb):
    geocoder = Geocoder([CountingOffline()], LruCache(10), DynamoDbCache(dynamodb, "no-such-table", 3600))
    outcome = geocoder.geocode([Address(zip="10001")])
    assert outcome.answers[0].status == "ok"
    assert outcome.stats["shared_cache_errors"] == 2  # the read and the write


def test_handler_uses_the_shared_cache_named_in_its_environment(configure, moto_url, table, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_url)
    configure(GEOCODER_CACHE_TABLE=table)
    status, first = invoke(event_file("function_url_batch.json"))
    assert status == 200
    # A new container whose only provider is down still answers every address from the table.
    configure(
        GEOCODER_CACHE_TABLE=table,
        GEOCODER_PROVIDERS="geopy:nominatim",
        GEOPY_NOMINATIM_DOMAIN=f"127.0.0.1:{closed_port()}",
        GEOPY_NOMINATIM_SCHEME="http",
    )
    status, second = invoke(event_file("function_url_batch.json"))
    assert (status, second) == (200, first)
    status, _ = invoke(event_file("function_url_single.json"))  # never seen: must ask the provider
    assert status == 503


class DownProvider:
    name = "down"

    def __init__(self) -> None:
        self.calls = 0

    def geocode(self, address: Address) -> Answer:
        self.calls += 1
        raise ProviderError("connection refused")


def test_a_provider_that_fails_is_not_asked_again_in_the_same_request():
    down = DownProvider()
    geocoder = Geocoder([down, OfflineProvider()], LruCache(100))
    outcome = geocoder.geocode([Address(zip=f"{z:05d}") for z in (10001, 94102, 60601)])
    assert down.calls == 1
    assert [a.provider for a in outcome.answers] == ["offline"] * 3
    geocoder.geocode([Address(zip="02108")])
    assert down.calls == 2  # the next request tries it again
