"""The JSON Schemas agree with each other and with the sample events in events/."""

from __future__ import annotations

import json
from pathlib import Path

import fastjsonschema
import pytest
from jsonschema import Draft202012Validator

from tests.support.contract import SCHEMA_DIR, STREAMS, classify, fast_check, schema, validator

EVENTS = Path(__file__).resolve().parent.parent / "events" / "streams"
ORDER_PARTS = {"line_id", "bill_customer", "ship_customer", "item", "promo", "missing"}


@pytest.mark.parametrize("path", sorted(SCHEMA_DIR.glob("*.schema.json")), ids=lambda p: p.name)
def test_schemas_are_valid_json_schema(path):
    Draft202012Validator.check_schema(json.loads(path.read_text()))


@pytest.mark.parametrize("stream", STREAMS)
def test_sample_events_are_valid(stream):
    lines = (EVENTS / f"{stream}.jsonl").read_bytes().splitlines()
    assert lines and all(classify(stream, line) == "valid" for line in lines)


# Values of every JSON kind, and those where drafts or validators could read a type differently.
ODD_VALUES = [
    None,
    True,
    0,
    1.0,
    1.5,
    -3,
    1e2,
    "",
    "12.34",
    "-0.05",
    "1e2",
    "12.",
    "x",
    "2026-11-24",
    "2026-11-24T11:15:30Z",
    "2026-11-24T11:15:30.123+01:00",
    [],
    {},
]


@pytest.mark.parametrize("stream", STREAMS)
def test_the_fast_check_gives_the_full_validators_verdict(stream):
    """classify trusts fastjsonschema's 'valid': it must never accept what jsonschema refuses."""
    sample = json.loads((EVENTS / f"{stream}.jsonl").read_text().splitlines()[0])
    records = [sample, {}, [], {k: v for k, v in sample.items() if k != next(iter(sample))}]
    records += [{**sample, name: value} for name in schema(stream)["properties"] for value in ODD_VALUES]
    for record in records:
        try:
            fast_check(stream)(record)
            fast_verdict = True
        except fastjsonschema.JsonSchemaException:
            fast_verdict = False
        assert fast_verdict == validator(stream).is_valid(record), record


def test_sample_order_document_is_valid():
    validator("order").validate(json.loads((EVENTS / "order.json").read_text()))


def test_order_document_carries_exactly_the_input_fields():
    order = schema("order")
    defs = order["$defs"]
    assert set(order["properties"]) == set(schema("sales")["properties"]) | ORDER_PARTS
    assert set(defs["customer"]["properties"]) == set(schema("customers")["properties"]) | {"address"}
    assert set(defs["address"]["properties"]) == set(schema("addresses")["properties"]) | {
        "location",
        "coarse_location",
        "geocode",
    }
    assert set(defs["item"]["properties"]) == set(schema("items")["properties"])
    assert set(defs["promo"]["properties"]) == set(schema("promos")["properties"])


@pytest.mark.parametrize(
    "change, valid",
    [
        ({}, True),
        ({"missing": ["promo", "promo"]}, False),
        ({"missing": ["warehouse"]}, False),
        ({"net_paid": "12.34"}, False),  # money is a JSON number in the output
        ({"surprise": 1}, False),  # closed: the index template maps every field, nothing dynamic
    ],
)
def test_order_schema_holds_the_output_rules(change, valid):
    document = {**json.loads((EVENTS / "order.json").read_text()), **change}
    assert validator("order").is_valid(document) is valid


@pytest.mark.parametrize("count, valid", [(0, False), (1, True), (100, True), (101, False)])
def test_geocode_request_takes_1_to_100_addresses(count, valid):
    body = {"addresses": [{"id": f"a{i}", "zip": "10001"} for i in range(count)]}
    assert validator("geocode_request").is_valid(body) is valid
