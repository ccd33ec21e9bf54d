"""The job's geocoding client (flink_app.geocoder_client) over real HTTP: against the real handler
served on 127.0.0.1, and against a stub server that plays a failing or misbehaving geocoder."""

from __future__ import annotations

import asyncio
import time

import pytest

from flink_app.geocoder_client import FAILED, GeocoderClient, GeocoderSettings, GeocoderStats
from tests.support.http_stub import HttpStub, closed_port

NYC = ("350 5th Ave", "New York", "New York County", "NY", "10118", "United States")


def address(n: int) -> tuple:
    return (f"{n} Main St", "Nowhere", "None County", "ZZ", f"{n:05d}", "United States")


def ok_for_all(method: str, path: str, query: dict, body: dict) -> tuple[int, dict]:
    """A geocoder that finds every address, its latitude the address's number."""
    return 200, {
        "results": [
            {
                "id": a["id"],
                "status": "ok",
                "location": {"lat": float(int(a["zip"]) % 90), "lon": 1.5},
                "precision": "postcode",
                "provider": "stub",
            }
            for a in body["addresses"]
        ]
    }


def geocode_all(settings: GeocoderSettings, calls: list[tuple[str, tuple]], stats: GeocoderStats | None = None):
    async def run():
        client = GeocoderClient(settings, stats)
        try:
            return await client.geocode_all(calls)
        finally:
            await client.close()

    return asyncio.run(run())


@pytest.fixture
def stub_server():
    servers = []

    def start(respond) -> HttpStub:
        servers.append(HttpStub(respond))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def fast(url: str, **overrides) -> GeocoderSettings:
    return GeocoderSettings(url, **{"backoff_seconds": 0.01, "timeout_seconds": 1, **overrides})


def test_against_the_served_handler_known_and_unknown_places(served_geocoder):
    unknown = ("1 Nowhere Rd", "Atlantis", "Deep County", "ZZ", "00000", "United States")
    found, missing = geocode_all(GeocoderSettings(served_geocoder), [("a1", NYC), ("a2", unknown)])
    assert found.status == "ok" and found.precision == "postcode" and found.provider == "offline"
    assert 40 < found.lat < 41 and -75 < found.lon < -73
    assert missing.status == "not_found" and missing.lat is None and missing.lon is None


def test_addresses_are_batched_up_to_the_batch_size(stub_server):
    stub = stub_server(ok_for_all)
    stats = GeocoderStats()
    answers = geocode_all(fast(stub.url, batch_size=100), [(f"a{n}", address(n)) for n in range(250)], stats)
    assert [a.lat for a in answers] == [float(n % 90) for n in range(250)]  # each answer to its own address
    assert sorted(len(body["addresses"]) for *_, body in stub.requests) == [50, 100, 100]
    assert stats.requests == 3 and stats.addresses_sent == 250


def test_a_place_already_known_is_not_asked_again(stub_server):
    stub = stub_server(ok_for_all)
    stats = GeocoderStats()
    calls = [
        ("a1", address(1)),
        ("a1", address(1)),  # the same version again
        ("a2", address(1)),  # another address at the same place
        ("a1", address(2)),
    ]  # a move: a new place
    answers = geocode_all(fast(stub.url), calls, stats)
    assert [a.lat for a in answers] == [1.0, 1.0, 1.0, 2.0]
    asked = [a["zip"] for *_, body in stub.requests for a in body["addresses"]]
    assert sorted(asked) == ["00001", "00002"]
    assert stats.reused == 1 and stats.cache_hits == 1


def test_batches_in_flight_together_share_what_they_ask(stub_server):
    """The job has several batches in flight: a place one of them asked is not asked again by the
    others, and each batch gets its own answers in its own order."""
    stub = stub_server(ok_for_all)
    stats = GeocoderStats()

    async def run():
        client = GeocoderClient(fast(stub.url), stats)
        batches = [
            [("a1", address(1)), ("a2", address(2))],
            [("a2", address(2)), ("a3", address(1)), ("a4", address(4))],
        ]
        answers = await asyncio.gather(*(client.geocode_all(batch) for batch in batches))
        await client.close()
        return answers

    first, second = asyncio.run(run())
    assert [a.lat for a in first] == [1.0, 2.0] and [a.lat for a in second] == [2.0, 1.0, 4.0]
    asked = [a["zip"] for *_, body in stub.requests for a in body["addresses"]]
    assert sorted(asked) == ["00001", "00002", "00004"]
    assert stats.reused == 1 and stats.cache_hits == 1


def test_throttling_and_server_errors_are_retried_until_answered(stub_server):
    failures = iter([(429, {"message": "slow down"}), (503, {"message": "busy"})])

    def flaky(*request):
        return next(failures, None) or ok_for_all(*request)

    stub = stub_server(flaky)
    stats = GeocoderStats()
    [answer] = geocode_all(fast(stub.url), [("a1", address(7))], stats)
    assert answer.status == "ok" and answer.lat == 7.0
    assert len(stub.requests) == 3 and stats.retries == 2 and stats.failures == 0


def test_after_the_last_attempt_the_address_is_failed_not_lost(stub_server):
    stub = stub_server(lambda *request: (500, {"message": "down"}))
    stats = GeocoderStats()
    answers = geocode_all(fast(stub.url, max_attempts=3), [("a1", address(1)), ("a2", address(2))], stats)
    assert answers == [FAILED, FAILED]
    assert len(stub.requests) == 3 and stats.failures == 2


def test_a_failed_place_is_asked_again_later(stub_server):
    outcomes = iter([(500, {"message": "down"})])
    stub = stub_server(lambda *request: next(outcomes, None) or ok_for_all(*request))

    async def run():
        client = GeocoderClient(fast(stub.url, max_attempts=1))
        (first,) = await client.geocode_all([("a1", address(3))])
        (second,) = await client.geocode_all([("a1", address(3))])
        await client.close()
        return first, second

    first, second = asyncio.run(run())
    assert first == FAILED and second.status == "ok"


def test_an_unreachable_geocoder_fails_addresses_without_blocking(stub_server):
    url = f"http://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    answers = geocode_all(fast(url, max_attempts=2), [("a1", address(1))])
    assert answers == [FAILED]
    assert time.monotonic() - started < 5


def test_a_geocoder_that_does_not_answer_in_time_is_a_timeout(stub_server):
    def slow(*request):
        time.sleep(0.5)
        return ok_for_all(*request)

    stub = stub_server(slow)
    stats = GeocoderStats()
    answers = geocode_all(fast(stub.url, timeout_seconds=0.1, max_attempts=2), [("a1", address(1))], stats)
    assert answers == [FAILED] and stats.retries == 1


@pytest.mark.parametrize(
    "answer",
    [
        {"results": []},  # too few
        {
            "results": [{"id": "9", "status": "ok", "location": {"lat": 1, "lon": 2}, "precision": "postcode"}]
        },  # wrong id
        {"results": [{"id": "0", "status": "ok", "location": None, "precision": None}]},  # ok without a location
        {"results": [{"id": "0", "status": "maybe", "location": None, "precision": None}]},  # unknown status
        "not an object",
    ],
)
def test_an_answer_that_breaks_the_contract_is_retried_then_failed(stub_server, answer):
    stub = stub_server(lambda *request: (200, answer))
    assert geocode_all(fast(stub.url, max_attempts=2), [("a1", address(1))]) == [FAILED]
    assert len(stub.requests) == 2


def test_a_refused_batch_is_halved_until_only_the_refused_address_fails(stub_server):
    def refuses_zip_13(method, path, query, body):
        if any(a["zip"] == "00013" for a in body["addresses"]):
            return 400, {"message": "addresses[…].zip: bad"}
        return ok_for_all(method, path, query, body)

    stub = stub_server(refuses_zip_13)
    stats = GeocoderStats()
    answers = geocode_all(fast(stub.url, batch_size=16), [(f"a{n}", address(n)) for n in range(16)], stats)
    assert [n for n, a in enumerate(answers) if a == FAILED] == [13]
    assert all(a.lat == float(n) for n, a in enumerate(answers) if n != 13)
    assert stats.failures == 1 and stats.retries == 0


def test_the_rate_limit_spaces_requests(stub_server):
    stub = stub_server(ok_for_all)
    started = time.monotonic()
    geocode_all(fast(stub.url, batch_size=1, requests_per_second=20), [(f"a{n}", address(n)) for n in range(6)])
    assert time.monotonic() - started >= 5 / 20 * 0.9  # six requests, five gaps of 50 ms


def test_iam_auth_signs_each_request_with_sigv4(stub_server, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    stub = stub_server(ok_for_all)
    geocode_all(fast(stub.url, sigv4_region="eu-west-1"), [("a1", address(1))])
    [received] = stub.headers
    assert received["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/lambda/aws4_request" in received["Authorization"]
    assert "X-Amz-Date" in received
