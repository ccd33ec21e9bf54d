"""Fine-grained access control on the real local node, with the roles of index_templates/security:
the analyst sees only the fields its allow-list names (a field added later stays hidden), never a
customer's names, e-mail, birth date, demographics, street, ZIP or precise location by any way of
asking, sees the ids masked and cannot write; the job's writer can only bulk into the indices of the
write alias."""

from __future__ import annotations

import copy
import json
import re
import time
from pathlib import Path

import pytest

from opensearch_setup.bootstrap import FIRST_INDEX, READ_ALIAS, Parameters, bootstrap
from opensearch_setup.http import JsonHttp, OpenSearchError
from tests.support.contract import schema
from tests.support.opensearch_node import admin, bulk_index, reset, user_with_role

SAMPLE = json.loads((Path(__file__).resolve().parent.parent / "events" / "streams" / "order.json").read_text())
CUSTOMERS = ("bill_customer", "ship_customer")
# What points at a person: every customer field but its ids, and the address's street, ZIP, precise
# location and time of change.
HIDDEN = tuple(sorted(set(schema("customers")["properties"]) - {"customer_id", "address_id"}))
HIDDEN_ADDRESS = ("street", "zip", "location", "address_datetime")
MASKED_IDS = ("customer_id", "address_id")
NAMES = [("Charles", "Lee"), ("Ada", "Byron"), ("Grace", "Hopper")]
HASH = re.compile(r"[0-9a-f]{64}")


def documents() -> list[dict]:
    """The sample order three times over, each with customers of its own (the first two share the
    bill customer), at places of their own."""
    result = []
    for number, (first, last) in enumerate(NAMES):
        document = copy.deepcopy(SAMPLE)
        document["line_id"] = f"{document['order_id']}-{number}"
        for role in CUSTOMERS:
            customer_id = f"C{role[0]}{number // 2 if role == 'bill_customer' else number}"
            document[f"{role}_id"] = customer_id
            document[role] |= {
                "customer_id": customer_id,
                "first_name": first,
                "last_name": last,
                "email_address": f"{first.lower()}@example.com",
                "birth_date": f"19{70 + number}-03-06",
                "gender": "F" if number else "M",
            }
            lat, lon = 30.0 + 5 * number, -100.0 + 5 * number
            document[role]["address"] |= {
                "street": f"{100 + number} {last} Street",
                "zip": f"{10001 + number}",
                "location": {"lat": lat + 0.0031, "lon": lon - 0.0042},
                "coarse_location": {"lat": lat, "lon": lon},
            }
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


def search(http: JsonHttp, body: dict, index: str = READ_ALIAS) -> dict:
    return http.send("POST", f"/{index}/_search", {"size": 10, **body})


def as_the_analyst_should_see_it(document: dict, masked: dict) -> dict:
    """`document` without what points at a person, its ids replaced by what `masked` maps them to."""
    seen = copy.deepcopy(document)
    for role in CUSTOMERS:
        seen[f"{role}_id"] = masked[seen[f"{role}_id"]]
        for name in HIDDEN:
            seen[role].pop(name)
        for name in MASKED_IDS:
            seen[role][name] = masked[seen[role][name]]
        address = seen[role]["address"]
        for name in HIDDEN_ADDRESS:
            address.pop(name)
        address["address_id"] = masked[address["address_id"]]
    return seen


def test_the_analyst_sees_the_documents_without_personal_fields_and_with_masked_ids(users):
    _, analyst, _ = users
    by_id = {d["line_id"]: d for d in documents()}
    hits = search(analyst, {})["hits"]["hits"]
    assert {hit["_id"] for hit in hits} == set(by_id)
    masked: dict[str, str] = {}
    for hit in hits:
        source, original = hit["_source"], by_id[hit["_id"]]
        for role in CUSTOMERS:
            pairs = [(original[f"{role}_id"], source[f"{role}_id"])]
            pairs += [(original[role][n], source[role][n]) for n in MASKED_IDS]
            pairs += [(original[role]["address"]["address_id"], source[role]["address"]["address_id"])]
            for clear, hashed in pairs:
                assert HASH.fullmatch(hashed) and masked.setdefault(clear, hashed) == hashed, (clear, hashed)
        assert source == as_the_analyst_should_see_it(original, masked)
    # one value, one mask (customers can be counted), distinct values, distinct masks
    assert len(set(masked.values())) == len(masked) == len({v for d in documents() for v in ids(d)})


def ids(document: dict) -> set[str]:
    return {document[f"{role}_id"] for role in CUSTOMERS} | {
        document[role]["address"]["address_id"] for role in CUSTOMERS
    }


def test_a_field_added_later_stays_hidden_until_the_allow_list_names_it(users):
    admin_http, analyst, _ = users
    index = "orders-later"  # an orders index of its own, so that the other tests' counts hold
    admin_http.send("PUT", f"/{index}")
    try:
        admin_http.send(
            "PUT",
            f"/{index}/_mapping",
            {"properties": {"bill_customer": {"properties": {"loyalty_number": {"type": "keyword"}}}}},
        )
        document = documents()[0]
        document["bill_customer"]["loyalty_number"] = "L-1234"
        assert not bulk_index(admin_http, [document], index=index)["errors"]
        [seen] = search(analyst, {}, index)["hits"]["hits"]
        assert "loyalty_number" not in seen["_source"]["bill_customer"]
        assert (
            search(analyst, {"query": {"term": {"bill_customer.loyalty_number": "L-1234"}}}, index)["hits"]["hits"]
            == []
        )
        [as_admin] = search(admin_http, {}, index)["hits"]["hits"]
        assert as_admin["_source"]["bill_customer"]["loyalty_number"] == "L-1234"  # the test can fail
    finally:
        admin_http.send("DELETE", f"/{index}")


def test_fields_and_docvalue_fields_return_no_hidden_field(users):
    admin_http, analyst, _ = users
    asked = {
        "fields": ["bill_customer.*"],
        "docvalue_fields": [
            "bill_customer.first_name.keyword",
            "bill_customer.email_address",
            "bill_customer.birth_date",
            "bill_customer.gender",
            "bill_customer.address.zip",
            "bill_customer.address.street.keyword",
            "ship_customer.last_name.keyword",
            "ship_customer.address.location",
        ],
    }
    personal = HIDDEN + tuple(f"address.{name}" for name in HIDDEN_ADDRESS)
    for hit in search(analyst, asked)["hits"]["hits"]:
        returned = set(hit.get("fields", {}))
        leaked = {name for name in returned for p in personal if re.search(rf"_customer\.{re.escape(p)}(\.|$)", name)}
        assert not leaked, leaked
        assert "bill_customer.address.coarse_location" in returned
    admin_fields = set(search(admin_http, asked)["hits"]["hits"][0]["fields"])
    assert {
        "bill_customer.email_address",
        "bill_customer.address.zip",
        "ship_customer.address.location",
    } <= admin_fields


@pytest.mark.parametrize(
    "field",
    [
        "bill_customer.email_address",
        "ship_customer.last_name.keyword",
        "bill_customer.first_name.keyword",
        "ship_customer.birth_date",
        "bill_customer.gender",
        "bill_customer.address.zip",
        "ship_customer.address.street.keyword",
    ],
)
def test_aggregations_on_a_hidden_field_find_nothing(users, field):
    admin_http, analyst, _ = users
    aggregation = {"size": 0, "aggs": {"values": {"terms": {"field": field}}}}
    assert search(analyst, aggregation)["aggregations"]["values"]["buckets"] == []
    assert len(search(admin_http, aggregation)["aggregations"]["values"]["buckets"]) >= 2


def test_the_precise_location_cannot_be_queried_and_the_coarse_one_maps(users):
    admin_http, analyst, _ = users
    everywhere = {"top_left": {"lat": 90, "lon": -180}, "bottom_right": {"lat": -90, "lon": 180}}
    for role in CUSTOMERS:
        precise, coarse = f"{role}.address.location", f"{role}.address.coarse_location"
        query = {"query": {"geo_bounding_box": {precise: everywhere}}}
        assert search(analyst, query)["hits"]["hits"] == [] and len(search(admin_http, query)["hits"]["hits"]) == 3
        tiles = {"size": 0, "aggs": {"tiles": {"geotile_grid": {"field": precise, "precision": 12}}}}
        assert search(analyst, tiles)["aggregations"]["tiles"]["buckets"] == []
        tiles["aggs"]["tiles"]["geotile_grid"]["field"] = coarse
        buckets = search(analyst, tiles)["aggregations"]["tiles"]["buckets"]
        assert sorted(b["doc_count"] for b in buckets) == [1, 1, 1]  # each order at its own place


def test_masked_ids_cannot_be_searched_by_their_clear_value(users):
    admin_http, analyst, _ = users
    query = {"query": {"term": {"bill_customer_id": documents()[0]["bill_customer_id"]}}}
    assert search(analyst, query)["hits"]["hits"] == []
    assert len(search(admin_http, query)["hits"]["hits"]) == 2


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
    assert search(analyst, {"query": {"match": {"ship_customer.address.street": "Hopper"}}})["hits"]["hits"] == []


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


def audited_reads(admin_http: JsonHttp, reader: str, document_id: str) -> list[dict]:
    """The audit events of `reader` reading the document (the cluster logs many other events)."""
    admin_http.send("POST", "/security-auditlog-*/_refresh")
    wanted = {
        "audit_category": "COMPLIANCE_DOC_READ",
        "audit_request_effective_user": reader,
        "audit_trace_doc_id": document_id,
    }
    query = {"bool": {"filter": [{"match_phrase": {field: value}} for field, value in wanted.items()]}}
    logged = admin_http.send("POST", "/security-auditlog-*/_search", {"size": 1000, "query": query})["hits"]["hits"]
    # the cluster's own filter narrows (text fields match by their words), this one decides
    return [e["_source"] for e in logged if all(e["_source"].get(k) == v for k, v in wanted.items())]


def test_every_orders_document_the_analyst_reads_is_audited_with_who_read_it(users):
    """The bootstrap's audit configuration: a read of an orders document is an audit event naming
    the reader and the document, without its values."""
    admin_http, analyst, _ = users
    reader = analyst.get("/_plugins/_security/authinfo")["user_name"]
    line_id = documents()[2]["line_id"]
    before = -1
    for _ in range(10):  # until what earlier tests read is all logged (the count holds for a second)
        time.sleep(1)
        logged = len(audited_reads(admin_http, reader, line_id))
        if logged == before:
            break
        before = logged
    [hit] = search(analyst, {"size": 1, "query": {"ids": {"values": [line_id]}}})["hits"]["hits"]
    for _ in range(50):  # the audit log is written asynchronously
        events = audited_reads(admin_http, reader, line_id)
        if len(events) > before:
            break
        time.sleep(0.2)
    assert len(events) == before + 1
    assert all(e["audit_trace_indices"] == [hit["_index"]] for e in events)
    assert "Grace" not in json.dumps(events) and "hopper" not in json.dumps(events).lower()  # no values
