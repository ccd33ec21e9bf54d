"""The job's OpenSearch sink end to end on the MiniCluster: bulk requests over real HTTP to the fake
cluster of tests/fake_opensearch.py, set up by the bootstrap. The documents indexed must be exactly
the curated documents, through throttled requests and throttled items; documents the cluster refuses
must be dead letters with the reason, not lost."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from opensearch_setup.__main__ import main as setup_opensearch
from tests.fake_opensearch import FakeOpenSearch
from tests.job_output import committed, read_dead_letters
from tests.job_runs import SALES_TO_KILL_IN, generate, run_job


def curated_documents(out: Path) -> dict[str, dict]:
    return {d["line_id"]: d for path in committed(out / "orders") for d in map(json.loads, path.read_text().splitlines())}


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """A job run against a cluster that wants SigV4-signed requests (checked with botocore),
    throttles its first requests and a few items, and whose mapping lacks `promo.purpose` (so every
    order with a promotion is refused)."""
    root = generate(tmp_path_factory.mktemp("opensearch"), customers=200, sales=3000, seed=31)
    cluster = FakeOpenSearch()
    assert setup_opensearch(["--url", cluster.url, "--no-security"]) == 0
    del cluster.templates["orders"]["template"]["mappings"]["properties"]["promo"]["properties"]["purpose"]
    cluster.bulk_faults = [429, 503]
    throttled = [f"{order}-{item}" for order, item in _first_sale_lines(root, 5)]
    cluster.item_faults = {line_id: [429] for line_id in throttled}
    cluster.sigv4 = (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"], "eu-west-1")
    properties = root / "properties.json"
    properties.write_text(json.dumps([{"PropertyGroupId": "opensearch", "PropertyMap": {
        "url": cluster.url, "auth": "sigv4", "region": "eu-west-1"}}]))
    try:
        run_job(root, "--properties", str(properties))
        yield root, cluster, throttled
    finally:
        cluster.close()


def _first_sale_lines(root: Path, count: int) -> list[tuple[int, int]]:
    lines = []
    for path in sorted((root / "bus" / "sales").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
                lines.append((int(record["order_id"]), int(record["item_id"])))
            except (ValueError, KeyError, TypeError):
                continue
            if len(lines) == count:
                return lines
    return lines


def test_every_curated_order_is_indexed_or_a_dead_letter_with_the_reason(indexed):
    root, cluster, throttled = indexed
    curated = curated_documents(root / "out")
    [index] = cluster.documents
    documents = cluster.documents[index]
    refused = {json.loads(d["raw"])["line_id"]: d for d in read_dead_letters(root / "out") if d["stream"] == "orders"}
    assert index == "orders-000001"  # through the write alias
    assert {k: v for k, v in curated.items() if v["promo"] is None} == documents
    assert {k: json.loads(d["raw"]) for k, d in refused.items()} == {k: v for k, v in curated.items() if v["promo"]}
    assert refused and all("strict_dynamic_mapping_exception" in d["reason"] and "promo.purpose" in d["reason"]
                           for d in refused.values())
    assert set(throttled) <= set(documents) | set(refused)  # retried after their 429


def test_throttled_requests_were_retried(indexed):
    _, cluster, _ = indexed
    assert cluster.bulk_faults == [] and all(faults == [] for faults in cluster.item_faults.values())


def test_a_second_run_over_the_same_orders_overwrites_instead_of_duplicating(indexed, tmp_path):
    root, cluster, _ = indexed
    [index] = cluster.documents
    before = dict(cluster.documents[index])
    run_job(root, "--properties", str(root / "properties.json"), "--out", str(tmp_path / "again"))
    assert cluster.documents[index] == before


def test_the_fake_cluster_refuses_a_wrong_signature(indexed):
    """The signature check above can fail: a request signed with another secret is refused."""
    import urllib.error
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    _, cluster, _ = indexed
    body = b'{"index":{"_id":"x"}}\n{"line_id":"x"}\n'
    request = AWSRequest(method="POST", url=cluster.url + "/orders-write/_bulk", data=body,
                         headers={"Content-Type": "application/x-ndjson"})
    SigV4Auth(Credentials(os.environ["AWS_ACCESS_KEY_ID"], "not-the-secret"), "es", "eu-west-1").add_auth(request)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(request.url, data=body, headers=dict(request.headers), method="POST"))
    assert refused.value.code == 403


def test_killed_mid_run_and_resumed_the_sink_loses_no_document(killed_and_resumed):
    """Batches big and old enough that only checkpoint barriers flush them: the documents a
    checkpoint covers reach the cluster before it completes, and a run killed after it and resumed
    from it sends the rest."""
    assert 0 < killed_and_resumed.indexed_before_kill < SALES_TO_KILL_IN, "the kill did not happen mid-run"
    assert killed_and_resumed.indexed == curated_documents(killed_and_resumed.root / "out")


@pytest.mark.skipif(not os.environ.get("OPENSEARCH_URL"), reason="a real cluster: set OPENSEARCH_URL (README, OpenSearch)")
def test_a_real_cluster_takes_every_order_as_the_curated_files_have_it(tmp_path):
    from opensearch_setup.http import Auth, JsonHttp

    url = os.environ["OPENSEARCH_URL"]
    username, password = os.environ.get("OPENSEARCH_USERNAME"), os.environ.get("OPENSEARCH_PASSWORD")
    options = (["--auth", "basic"] if username else []) + (["--no-security"] if os.environ.get("OPENSEARCH_SECURITY") == "false" else [])
    assert setup_opensearch(["--url", url, "--replicas", "0", *options]) == 0
    root = generate(tmp_path, customers=100, sales=1000, seed=32)
    group = {"url": url, **({"auth": "basic", "username": username, "password": password} if username else {})}
    properties = tmp_path / "properties.json"
    properties.write_text(json.dumps([{"PropertyGroupId": "opensearch", "PropertyMap": group}]))
    run_job(root, "--properties", str(properties))

    assert [d for d in read_dead_letters(root / "out") if d["stream"] == "orders"] == []  # the mapping takes them all
    cluster = JsonHttp(url, Auth("basic", username, password) if username else Auth())
    cluster.send("POST", "/orders/_refresh")
    curated = curated_documents(root / "out")
    found = cluster.send("POST", "/orders/_search", {"size": len(curated), "query": {"ids": {"values": list(curated)}}})
    assert {hit["_id"]: hit["_source"] for hit in found["hits"]["hits"]} == curated
