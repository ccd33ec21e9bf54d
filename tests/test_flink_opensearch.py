"""The job's OpenSearch sink end to end on the MiniCluster: bulk requests over real HTTP to the fake
cluster of tests/fake_opensearch.py, set up by the bootstrap. The documents indexed must be exactly
the curated documents, through throttled requests and throttled items; documents the cluster refuses
must be dead letters with the reason, not lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opensearch_setup.__main__ import main as setup_opensearch
from tests.fake_opensearch import FakeOpenSearch
from tests.job_output import committed, read_dead_letters
from tests.test_flink_job import generate, run_job


def curated_documents(out: Path) -> dict[str, dict]:
    return {d["line_id"]: d for path in committed(out / "orders") for d in map(json.loads, path.read_text().splitlines())}


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """A job run against a cluster that throttles its first requests and a few items, and whose
    mapping lacks `promo.purpose` (so every order with a promotion is refused)."""
    root = generate(tmp_path_factory.mktemp("opensearch"), customers=200, sales=3000, seed=31)
    cluster = FakeOpenSearch()
    assert setup_opensearch(["--url", cluster.url, "--no-security"]) == 0
    del cluster.templates["orders"]["template"]["mappings"]["properties"]["promo"]["properties"]["purpose"]
    cluster.bulk_faults = [429, 503]
    throttled = [f"{order}-{item}" for order, item in _first_sale_lines(root, 5)]
    cluster.item_faults = {line_id: [429] for line_id in throttled}
    try:
        run_job(root, "--opensearch-url", cluster.url)
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
    run_job(root, "--opensearch-url", cluster.url, "--out", str(tmp_path / "again"))
    assert cluster.documents[index] == before
