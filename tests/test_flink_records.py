"""Record validation agrees with the JSON Schemas on every generated line, types values exactly and
says why a record is a dead letter."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from datagen.cli import main as datagen
from flink_app.records import EVENT_TIME, FIELDS, REQUIRED, DeadLetter, Record, parse
from tests.contract import STREAMS, classify, schema

SCHEMA_KIND = {("string",): "str", ("integer",): "int", ("string", "number"): "decimal"}


@pytest.fixture(scope="module")
def bus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("records")
    assert datagen(["--bus", str(root / "bus"), "--reference", str(root / "ref"), "--customers", "300",
                    "--sales", "5000", "--bad-rate", "0.03", "--quiet"]) == 0
    return root / "bus"


@pytest.mark.parametrize("stream", STREAMS)
def test_field_lists_are_the_schemas(stream):
    stream_schema = schema(stream)
    assert list(FIELDS[stream]) == list(stream_schema["properties"])
    assert set(REQUIRED[stream]) == set(stream_schema["required"])
    for name, kind in FIELDS[stream].items():
        spec = stream_schema["properties"][name]
        types = tuple(t for t in ([spec["type"]] if isinstance(spec["type"], str) else spec["type"]) if t != "null")
        if kind in ("date", "timestamp"):
            assert types == ("string",) and "pattern" in spec
        else:
            assert SCHEMA_KIND[types] == kind, name


@pytest.mark.parametrize("stream", STREAMS)
def test_a_record_is_a_dead_letter_exactly_when_the_schema_rejects_it(bus, stream):
    lines = [line for f in sorted((bus / stream).glob("*.jsonl")) for line in f.read_text().splitlines()]
    verdicts = [(classify(stream, line.encode()), parse(stream, line)) for line in lines]
    assert sum(v != "valid" for v, _ in verdicts) > 3
    for verdict, result in verdicts:
        assert isinstance(result, Record) == (verdict == "valid")
        if isinstance(result, DeadLetter):
            assert result.stream == stream and result.reason and result.raw in lines


def test_values_keep_their_exact_text_and_the_event_time_is_read():
    line = json.dumps({"order_id": 7, "item_id": 3, "quantity": 2, "sales_price": 12.34, "net_paid": "24.68",
                       "net_profit": "-0.05", "bill_customer_id": "C1", "ship_customer_id": "C2",
                       "promo_id": None, "sale_datetime": "2026-11-24T11:15:30.123+01:00"})
    record = parse("sales", line)
    assert isinstance(record, Record)
    values = dict(zip(FIELDS["sales"], record.values))
    assert (values["sales_price"], values["net_paid"], values["net_profit"]) == ("12.34", "24.68", "-0.05")
    assert Decimal(values["sales_price"]) == Decimal("12.34")  # a float's shortest text, not 12.339999...
    assert values["promo_id"] is None and values["wholesale_cost"] is None
    assert values[EVENT_TIME["sales"]] == "2026-11-24T11:15:30.123+01:00"
    expected_ms = int(dt.datetime(2026, 11, 24, 10, 15, 30, 123000, tzinfo=dt.timezone.utc).timestamp() * 1000)
    assert record.event_ms == expected_ms


@pytest.mark.parametrize("line, reason", [
    ('{"order_id": 7, "item_id"', "not valid JSON"),
    ("[1, 2]", "not a JSON object but an array"),
    ('{"item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C", "sale_datetime": "2026-11-24T10:00:00Z"}',
     "missing required field 'order_id'"),
    ('{"order_id": null, "item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C", '
     '"sale_datetime": "2026-11-24T10:00:00Z"}', "missing required field 'order_id'"),
    ('{"order_id": true, "item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C", '
     '"sale_datetime": "2026-11-24T10:00:00Z"}', "field 'order_id' must be a 64-bit integer, not a boolean"),
    ('{"order_id": 1, "item_id": 1, "quantity": "three", "bill_customer_id": "C", "ship_customer_id": "C", '
     '"sale_datetime": "2026-11-24T10:00:00Z"}', "field 'quantity' must be a 64-bit integer, not a string"),
    ('{"order_id": 18446744073709551616, "item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C", '
     '"sale_datetime": "2026-11-24T10:00:00Z"}', "field 'order_id' must be a 64-bit integer"),
    ('{"order_id": 1, "item_id": 1, "sales_price": "12,34", "bill_customer_id": "C", "ship_customer_id": "C", '
     '"sale_datetime": "2026-11-24T10:00:00Z"}', "field 'sales_price' must be a decimal"),
    ('{"order_id": 1, "item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C", '
     '"sale_datetime": "2026-11-24 10:00:00"}', "must be an ISO-8601 timestamp with an offset"),
    ('{"order_id": 1, "item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C", '
     '"sale_datetime": "2026-13-24T10:00:00Z"}', "is not a valid timestamp"),
])
def test_dead_letters_say_why(line, reason):
    result = parse("sales", line)
    assert isinstance(result, DeadLetter)
    assert reason in result.reason
    assert (result.stream, result.raw) == ("sales", line)


def test_undecodable_bytes_are_a_dead_letter_not_a_crash():
    result = parse("customers", b"\xff\xfe{")
    assert isinstance(result, DeadLetter) and "not valid JSON" in result.reason
