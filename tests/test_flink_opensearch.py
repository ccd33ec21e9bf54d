"""The job's OpenSearch sink end to end on the MiniCluster, over real HTTP into the real local
node (opensearch_setup.local), signed in as the writer role (its password read from a secret in moto's Secrets Manager): the documents indexed must be exactly
the curated documents, also through the 429s of a tiny write thread pool, on a replay and across a
kill; documents the cluster refuses must be dead letters with the reason, not lost. SigV4 and
faults a real node cannot be made to give (503s, single items throttled) are checked against the
fake of tests/support/fake_opensearch.py."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest

from opensearch_setup.__main__ import main as setup_opensearch
from opensearch_setup.bootstrap import FIRST_INDEX, WRITE_ALIAS
from opensearch_setup.local import WritePool, running
from tests.support.fake_opensearch import FakeOpenSearch
from tests.support.job_output import committed, read_dead_letters
from tests.support.job_runs import SALES_TO_KILL_IN, generate, run_job
from tests.support.opensearch_node import admin, bootstrapped_with_writer, indexed_documents, write_rejections


def curated_documents(out: Path) -> dict[str, dict]:
    return {
        d["line_id"]: d for path in committed(out / "orders") for d in map(json.loads, path.read_text().splitlines())
    }


def refused_orders(out: Path) -> dict[str, dict]:
    return {json.loads(d["raw"])["line_id"]: d for d in read_dead_letters(out) if d["stream"] == "orders"}


def without_promo_purpose(cluster) -> None:
    """The first index made again from a template whose mapping lacks `promo.purpose`: the strict
    mapping then refuses every order with a promotion."""
    http = admin(cluster)
    [found] = http.get("/_index_template/orders")["index_templates"]
    template = copy.deepcopy(found["index_template"])
    del template["template"]["mappings"]["properties"]["promo"]["properties"]["purpose"]
    http.send("DELETE", f"/{FIRST_INDEX}")
    http.send("PUT", "/_index_template/orders", template)
    http.send("PUT", f"/{FIRST_INDEX}", {"aliases": {WRITE_ALIAS: {"is_write_index": True}}})


@pytest.fixture(scope="module")
def throttling_cluster():
    """A node of its own whose write thread pool has one thread and a queue of one: a bulk request
    alone passes (its shard-level part waits in the queue), bulk requests that overlap meet 429s."""
    with running(write_pool=WritePool(threads=1, queue_size=1)) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, throttling_cluster, moto_url):
    """A job run with small batches into the throttling node, whose mapping lacks `promo.purpose`,
    signed in with a password the writer reads from a secret (moto's Secrets Manager), as in AWS."""
    root = generate(tmp_path_factory.mktemp("opensearch"), customers=200, sales=3000, seed=31)
    group = bootstrapped_with_writer(throttling_cluster)
    secret = boto3.client("secretsmanager", endpoint_url=moto_url, region_name="eu-west-1").create_secret(
        Name="orders-writer",
        SecretString=json.dumps({"username": group["username"], "password": group.pop("password")}),
    )
    without_promo_purpose(throttling_cluster)
    properties = root / "properties.json"
    properties.write_text(
        json.dumps(
            [
                {
                    "PropertyGroupId": "opensearch",
                    "PropertyMap": {
                        **group,
                        "password_secret_arn": secret["ARN"],
                        "bulk_max_documents": "50",
                        "max_attempts": "30",
                    },
                }
            ]
        )
    )
    rejections_before = write_rejections(throttling_cluster)
    run_job(root, "--properties", str(properties), env={**os.environ, "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto_url})
    return root, throttling_cluster, write_rejections(throttling_cluster) - rejections_before


def test_every_curated_order_is_indexed_or_a_dead_letter_with_the_reason(indexed):
    root, cluster, _ = indexed
    curated = curated_documents(root / "out")
    documents = indexed_documents(cluster, WRITE_ALIAS)
    refused = refused_orders(root / "out")
    assert {k: v for k, v in curated.items() if v["promo"] is None} == documents
    assert {k: json.loads(d["raw"]) for k, d in refused.items()} == {k: v for k, v in curated.items() if v["promo"]}
    assert refused and all(
        "strict_dynamic_mapping_exception" in d["reason"] and "[purpose] within [promo]" in d["reason"]
        for d in refused.values()
    )


def test_the_nodes_429s_went_through_the_retry_path(indexed):
    """The node really refused writes (its thread pool's own count), and nothing was lost above."""
    _, _, rejections = indexed
    assert rejections > 0


def test_a_second_run_over_the_same_orders_overwrites_instead_of_duplicating(indexed, tmp_path, moto_url):
    root, cluster, _ = indexed
    before = indexed_documents(cluster, WRITE_ALIAS)
    run_job(
        root,
        "--properties",
        str(root / "properties.json"),
        "--out",
        str(tmp_path / "again"),
        env={**os.environ, "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto_url},
    )
    assert indexed_documents(cluster, WRITE_ALIAS) == before
    versions = admin(cluster).send("POST", f"/{WRITE_ALIAS}/_search", {"size": 1, "version": True})
    assert versions["hits"]["hits"][0]["_version"] >= 2  # written again, in place


def test_killed_mid_run_and_resumed_the_sink_loses_no_document(killed_and_resumed):
    """Batches big and old enough that only checkpoint barriers flush them: the documents a
    checkpoint covers reach the cluster before it completes, and a run killed after it and resumed
    from it sends the rest."""
    assert 0 < killed_and_resumed.indexed_before_kill < SALES_TO_KILL_IN, "the kill did not happen mid-run"
    assert killed_and_resumed.indexed == curated_documents(killed_and_resumed.root / "out")


SIGNED_INDEX = "orders-ü+signed"  # a valid index name whose path segment must be encoded


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """A job run against the fake cluster that wants SigV4-signed requests (checked with botocore),
    answers its first bulk requests 429 and 503 and a few items 429; into an index whose name must
    be encoded, through a URL with a query (`filter_path`)."""
    root = generate(tmp_path_factory.mktemp("sigv4"), customers=100, sales=600, seed=33)
    cluster = FakeOpenSearch()
    assert setup_opensearch(["--url", cluster.url, "--no-security"]) == 0
    cluster.bulk_faults = [429, 503]
    throttled = [f"{order}-{item}" for order, item in _first_sale_lines(root, 5)]
    cluster.item_faults = {line_id: [429] for line_id in throttled}
    cluster.sigv4 = (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"], "eu-west-1")
    properties = root / "properties.json"
    properties.write_text(
        json.dumps(
            [
                {
                    "PropertyGroupId": "opensearch",
                    "PropertyMap": {
                        "url": cluster.url,
                        "index": SIGNED_INDEX,
                        "auth": "sigv4",
                        "region": "eu-west-1",
                    },
                }
            ]
        )
    )
    try:
        run_job(root, "--properties", str(properties))
        yield root, cluster, throttled
    finally:
        cluster.close()


def test_signed_requests_are_taken_and_faulty_answers_retried(signed):
    root, cluster, throttled = signed
    assert cluster.documents[SIGNED_INDEX] == curated_documents(root / "out")
    assert set(throttled) <= set(cluster.documents[SIGNED_INDEX])
    assert cluster.bulk_faults == [] and all(faults == [] for faults in cluster.item_faults.values())


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


@pytest.mark.parametrize("right_secret", [True, False], ids=["botocore-signed", "other-secret"])
def test_the_fake_cluster_checks_signatures_as_botocore_computes_them(signed, right_secret):
    """The signature check above holds: a request botocore signs, with an encoded path and a query
    botocore encodes itself, is taken; one signed with another secret is refused."""
    import urllib.error
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    _, cluster, _ = signed
    body = b'{"index":{"_id":"x"}}\n{"line_id":"x"}\n'
    request = AWSRequest(
        method="POST",
        url=cluster.url + "/" + quote(SIGNED_INDEX, safe="") + "/_bulk",
        params={"filter_path": "errors,items.*.status"},
        data=body,
        headers={"Content-Type": "application/x-ndjson"},
    )
    secret = os.environ["AWS_SECRET_ACCESS_KEY"] if right_secret else "not-the-secret"
    SigV4Auth(Credentials(os.environ["AWS_ACCESS_KEY_ID"], secret), "es", "eu-west-1").add_auth(request)
    sent = request.prepare()  # the URL with its query as botocore encodes it
    try:
        status = urllib.request.urlopen(
            urllib.request.Request(sent.url, data=body, headers=dict(sent.headers), method="POST")
        ).status
    except urllib.error.HTTPError as refused:
        status = refused.code
    assert status == (200 if right_secret else 403)
