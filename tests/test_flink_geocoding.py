"""The job with geocoding on, end to end on the MiniCluster: real HTTP to the real geocoder handler
(through a proxy that counts the requests and can make them fail), the output compared field by
field with the oracle, locations computed independently (tests/support/geocode_oracle.py)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections import Counter
from itertools import count

import pytest

from tests.support.geocode_oracle import offline_geocode
from tests.support.http_stub import HttpStub, closed_port
from tests.support.job_output import differences, read_orders
from tests.support.order_oracle import expected_output
from tests.support.job_runs import generate, run_job

GEOCODABLE = ("street", "city", "county", "state", "zip", "country")
FAILED = {"status": "failed", "precision": None, "provider": None}


def forward_to(url: str):
    """A proxy's answer: the request sent on to the geocoder at `url`, its answer returned."""

    def respond(method: str, path: str, query: dict, body: object) -> tuple[int, object]:
        request = urllib.request.Request(
            url + path, data=json.dumps(body).encode(), method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    return respond


def distinct_places(bus) -> set[tuple]:
    """The geocodable fields of every valid address version on the bus."""
    places = set()
    for path in (bus / "addresses").glob("*.jsonl"):
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
                places.add(tuple(record[f] for f in GEOCODABLE))
            except (ValueError, KeyError, TypeError):
                continue  # a bad record: a dead letter, never sent
    return places


def addresses_in(orders: list[dict]) -> list[dict]:
    return [c["address"] for d in orders for c in (d["bill_customer"], d["ship_customer"]) if c and c["address"]]


def geocoder_properties(path, **geocoder: str):
    """A properties file (MSF's runtime properties) whose `geocoder` group holds `geocoder`."""
    path.write_text(json.dumps([{"PropertyGroupId": "geocoder", "PropertyMap": geocoder}]))
    return path


@pytest.mark.parametrize("implementation", ["java", "python"])
def test_orders_carry_the_geocoders_locations_through_throttling_and_errors(tmp_path, served_geocoder, implementation):
    """Every third request is refused (429 or 503) before it reaches the geocoder: the retries hide
    it, and every address is located as the geocoder says, in batches, by the JVM's client and by
    the Python extension point alike."""
    root = generate(tmp_path, customers=300, sales=3000, seed=21)
    calls = count(1)
    forward = forward_to(served_geocoder)
    forwarded = []  # the number of addresses in each request that reached the geocoder

    def flaky(method, path, query, body):
        n = next(calls)
        if n % 3 == 0:
            return (429, {"message": "Too Many Requests"}) if n % 2 else (503, {"message": "Service Unavailable"})
        forwarded.append(len(body["addresses"]))
        return forward(method, path, query, body)

    proxy = HttpStub(flaky)
    try:
        properties = geocoder_properties(tmp_path / "properties.json", url=proxy.url, implementation=implementation)
        run_job(root, "--properties", str(properties))
    finally:
        proxy.close()

    orders = read_orders(root / "out")
    assert differences(expected_output(root / "bus", root / "ref", geocode=offline_geocode), orders) == []
    outcomes = Counter((a["geocode"]["status"], a["geocode"]["precision"]) for a in addresses_in(orders))
    assert outcomes[("ok", "postcode")] and outcomes[("ok", "locality")] and outcomes[("not_found", None)]
    assert ("failed", None) not in outcomes

    places = distinct_places(root / "bus")
    assert sum(forwarded) <= len(places)  # each place located once: versions that did not move reuse it
    assert len(proxy.requests) <= len(places) / 10  # batched, retries included


def slow(*request):
    time.sleep(1.5)
    return 200, {"results": []}


FAULTS = [  # the ways a geocoder answers badly
    lambda *request: (500, {"message": "Internal Server Error"}),
    lambda *request: (429, {"message": "Too Many Requests"}),
    lambda *request: (200, b'{"results": [{"id": "0", "status": "ok", "locat'),  # malformed JSON
    slow,
]


def every_fault_in_turn():
    """A geocoder that never answers well: each request gets the next of FAULTS (one job run
    meets them all, retries included)."""
    turn = count()

    def respond(*request):
        return FAULTS[next(turn) % len(FAULTS)](*request)

    return respond


@pytest.mark.parametrize("fault", ["bad answers", "connection refused"])
def test_a_geocoder_that_fails_leaves_addresses_failed_and_loses_no_order(tmp_path, fault):
    root = generate(tmp_path, customers=100, sales=1000, seed=22)
    server = HttpStub(every_fault_in_turn()) if fault == "bad answers" else None
    url = server.url if server else f"http://127.0.0.1:{closed_port()}"
    properties = geocoder_properties(tmp_path / "properties.json", url=url, max_attempts="2", timeout_seconds="0.5")
    try:
        run_job(root, "--properties", str(properties))
    finally:
        if server:
            server.close()

    orders = read_orders(root / "out")
    assert differences(expected_output(root / "bus", root / "ref", geocode=lambda _: (None, FAILED)), orders) == []
    assert len(orders) == len({d["line_id"] for d in orders}) > 950
    if server:
        assert len(server.requests) >= len(FAULTS), "the geocoder was not asked enough to meet every fault"
