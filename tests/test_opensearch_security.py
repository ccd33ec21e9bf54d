"""Fine-grained access control on the real local node, with the roles of index_templates/security:
an analyst never sees customers' names, e-mail or birth date by any way of asking, sees streets
masked and cannot write; the job's writer can only bulk into the indices of the write alias."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from opensearch_setup.bootstrap import FIRST_INDEX, READ_ALIAS, Parameters, bootstrap
from opensearch_setup.http import JsonHttp, OpenSearchError
from tests.support.opensearch_node import admin, bulk_index, reset, user_with_role

SAMPLE = json.loads((Path(__file__).resolve().parent.parent / "events" / "streams" / "order.json").read_text())
CUSTOMERS = ("bill_customer", "ship_customer")
HIDDEN = ("first_name", "last_name", "email_address", "birth_date")
NAMES = [("Charles", "Lee"), ("Ada", "Byron"), ("Grace", "Hopper")]


def documents() -> list[dict]:
    """The sample order three times over, each with customers of its own."""
    result = []
    for number, (first, last) in enumerate(NAMES):
        document = copy.deepcopy(SAMPLE)
        document["line_id"] = f"{document['order_id']}-{number}"
        for role in CUSTOMERS:
            document[role] |= {
                "first_name": first,
                "last_name": last,
                "email_address": f"{first.lower()}@example.com",
                "birth_date": f"19{70 + number}-03-06",
            }
            document[role]["address"]["street"] = f"{100 + number} {last} Street"
        result.append(document)
    return result


@pytest.fixture(scope="module")
def users(opensearch):
    """(admin, analyst, writer) once the bootstrap ran and the writer indexed the documents."""
    reset(opensearch)
    bootstrap(admin(opensearch), None, Parameters(replicas=0))
    writer = user_with_role(opensearch, "orders_writer")
    answer = bulk_index(writer, documents())
    assert not answer["errors"], answer
    return admin(opensearch), user_with_role(opensearch, "orders_analyst"), writer


def search(http: JsonHttp, body: dict) -> dict:
    return http.send("POST", f"/{READ_ALIAS}/_search", {"size": 10, **body})


def test_the_analyst_gets_no_hidden_field_in_source_and_streets_masked(users):
    admin_http, analyst, _ = users
    by_id = {d["line_id"]: d for d in documents()}
    hits = search(analyst, {})["hits"]["hits"]
    assert {hit["_id"] for hit in hits} == set(by_id)
    for hit in hits:
        source, original = hit["_source"], by_id[hit["_id"]]
        for role in CUSTOMERS:
            assert not set(HIDDEN) & set(source[role]), source[role]
            street = source[role]["address"]["street"]
            assert street != original[role]["address"]["street"] and len(street) == 64  # a hash, salted per cluster
            assert source[role]["address"]["city"] == original[role]["address"]["city"]  # what is not hidden stays
        assert source["net_paid"] == original["net_paid"]
    admin_source = search(admin_http, {})["hits"]["hits"][0]["_source"]
    assert set(HIDDEN) <= set(admin_source["bill_customer"])  # the admin sees them: the test can fail


def test_fields_and_docvalue_fields_return_no_hidden_field(users):
    admin_http, analyst, _ = users
    asked = {
        "fields": ["bill_customer.*"],
        "docvalue_fields": [
            "bill_customer.first_name.keyword",
            "bill_customer.email_address",
            "bill_customer.birth_date",
            "ship_customer.last_name.keyword",
        ],
    }
    for hit in search(analyst, asked)["hits"]["hits"]:
        returned = set(hit.get("fields", {}))
        assert not {name for name in returned if any(f".{hidden}" in name for hidden in HIDDEN)}, returned
        assert "bill_customer.customer_id" in returned
    admin_fields = set(search(admin_http, asked)["hits"]["hits"][0]["fields"])
    assert {"bill_customer.email_address", "bill_customer.first_name.keyword"} <= admin_fields


@pytest.mark.parametrize(
    "field",
    [
        "bill_customer.email_address",
        "ship_customer.last_name.keyword",
        "bill_customer.first_name.keyword",
        "ship_customer.birth_date",
    ],
)
def test_aggregations_on_a_hidden_field_find_nothing(users, field):
    admin_http, analyst, _ = users
    aggregation = {"size": 0, "aggs": {"values": {"terms": {"field": field}}}}
    assert search(analyst, aggregation)["aggregations"]["values"]["buckets"] == []
    assert len(search(admin_http, aggregation)["aggregations"]["values"]["buckets"]) == len(NAMES)


def test_sorting_by_a_hidden_field_reveals_no_order(users):
    admin_http, analyst, _ = users
    by_name = {"sort": [{"bill_customer.last_name.keyword": "asc"}]}
    assert [hit["sort"] for hit in search(admin_http, by_name)["hits"]["hits"]] == [["Byron"], ["Hopper"], ["Lee"]]
    sorted_ids = [hit["_id"] for hit in search(analyst, by_name)["hits"]["hits"]]
    assert all(hit["sort"] != [name] for hit in search(analyst, by_name)["hits"]["hits"] for _, name in NAMES)
    assert len(sorted_ids) == len(NAMES)


def test_queries_and_highlighting_on_a_hidden_field_match_nothing(users):
    admin_http, analyst, _ = users
    query = {
        "query": {"match": {"bill_customer.first_name": "Grace"}},
        "highlight": {"fields": {"bill_customer.first_name": {}}},
    }
    assert search(analyst, query)["hits"]["hits"] == []
    [hit] = search(admin_http, query)["hits"]["hits"]
    assert hit["highlight"]["bill_customer.first_name"] == ["<em>Grace</em>"]
    assert (
        search(analyst, {"query": {"term": {"ship_customer.email_address": "ada@example.com"}}})["hits"]["hits"] == []
    )


def test_the_analyst_cannot_write(users):
    _, analyst, _ = users
    answer = bulk_index(analyst, documents()[:1])
    assert answer["errors"] and answer["items"][0]["index"]["status"] == 403
    with pytest.raises(OpenSearchError, match="HTTP 403"):
        analyst.send("DELETE", f"/{FIRST_INDEX}")


def test_the_writer_bulks_only_into_the_indices_of_the_write_alias_and_reads_nothing(users):
    """The security plugin grants a role named on an alias the indices behind it: the writer may
    also write to orders-000001 by name, but not to an orders index outside the alias."""
    admin_http, _, writer = users
    assert bulk_index(writer, documents()[:1], index=FIRST_INDEX)["items"][0]["index"]["status"] == 200
    admin_http.send("PUT", "/orders-000002")  # an orders index the write alias does not cover
    for index in ("orders-000002", "other-index"):
        assert bulk_index(writer, documents()[:1], index=index)["items"][0]["index"]["status"] == 403, index
    with pytest.raises(OpenSearchError, match="HTTP 403"):
        search(writer, {})
    assert admin_http.get("/other-index") is None
    assert admin_http.send("POST", "/orders-000002/_count")["count"] == 0
