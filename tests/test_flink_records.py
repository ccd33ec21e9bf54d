"""Record validation (the Java ValidateRecords, called through the client JVM) agrees with the
JSON Schemas on every generated line, types values exactly and says why a record is a dead letter."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from py4j.protocol import Py4JJavaError
from pyflink.datastream import StreamExecutionEnvironment

from datagen.cli import main as datagen
from flink_app.java_helper import add_helper_jar
from flink_app.records import EVENT_TIME, FIELDS, REQUIRED
from flink_app.validate import record_validator
from tests.contract import STREAMS, classify, schema


class DeadLetter(str):
    """The reason a record was refused."""


@pytest.fixture(scope="module")
def parse():
    """parse(stream, line): the validated row's values (the fields, then event_ms), or a DeadLetter."""
    add_helper_jar(StreamExecutionEnvironment.get_execution_environment())
    validators = {stream: record_validator(stream) for stream in STREAMS}

    def parse(stream: str, line: str) -> tuple | DeadLetter:
        try:
            row = validators[stream].parse(line)
        except Py4JJavaError as error:
            assert error.java_exception.getClass().getSimpleName() == "InvalidRecord", str(error)
            return DeadLetter(error.java_exception.getMessage())
        return tuple(row.getField(i) for i in range(row.getArity()))
    return parse

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
def test_a_record_is_a_dead_letter_exactly_when_the_schema_rejects_it(bus, stream, parse):
    lines = [line for f in sorted((bus / stream).glob("*.jsonl")) for line in f.read_text().splitlines()]
    verdicts = [(classify(stream, line.encode()), parse(stream, line)) for line in lines]
    assert sum(v != "valid" for v, _ in verdicts) > 3
    for verdict, result in verdicts:
        assert isinstance(result, DeadLetter) == (verdict != "valid"), result
        if isinstance(result, DeadLetter):
            assert result


def test_values_keep_their_exact_text_and_the_event_time_is_read(parse):
    line = json.dumps({"order_id": 7, "item_id": 3, "quantity": 2, "sales_price": 12.34, "net_paid": "24.68",
                       "net_profit": "-0.05", "ext_tax": 1e2, "coupon_amt": 0.1, "bill_customer_id": "C1",
                       "ship_customer_id": "C2", "promo_id": None, "sale_datetime": "2026-11-24T11:15:30.123+01:00"})
    record = parse("sales", line)
    assert not isinstance(record, DeadLetter), record
    values = dict(zip([*FIELDS["sales"], "event_ms"], record))
    assert (values["sales_price"], values["net_paid"], values["net_profit"]) == ("12.34", "24.68", "-0.05")
    assert Decimal(values["sales_price"]) == Decimal("12.34")  # the number as written, not 12.339999...
    assert Decimal(values["ext_tax"]) == 100 and values["coupon_amt"] == "0.1"
    assert values["order_id"] == 7 and values["quantity"] == 2
    assert not isinstance(parse("sales", line.replace('"24.68"', '"9999999999999.99"')), DeadLetter)  # the largest
    address = parse("addresses", '{"address_id": "A", "gmt_offset": "-1234.5", "address_datetime": "2026-11-24T10:00:00Z"}')
    assert "at most 3 digits" in address  # gmt_offset is DECIMAL(5, 2)
    assert values["promo_id"] is None and values["wholesale_cost"] is None
    assert values[EVENT_TIME["sales"]] == "2026-11-24T11:15:30.123+01:00"
    expected_ms = int(dt.datetime(2026, 11, 24, 10, 15, 30, 123000, tzinfo=dt.timezone.utc).timestamp() * 1000)
    assert values["event_ms"] == expected_ms


@pytest.mark.parametrize("line, reason", [
    ('{"order_id": 7, "item_id"', "not valid JSON"),
    ("[1, 2]", "not a JSON object but an array"),
    ("null", "not a JSON object but null"),
    ('{"order_id": 1, "item_id": 1, "bill_customer_id": {"id": "C"}, "ship_customer_id": "C", '
     '"sale_datetime": "2026-11-24T10:00:00Z"}', "field 'bill_customer_id' must be a string, not an object"),
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
    ('{"order_id": 1, "item_id": 1.0, "bill_customer_id": "C", "ship_customer_id": "C", '
     '"sale_datetime": "2026-11-24T10:00:00Z"}', "field 'item_id' must be a 64-bit integer, not a number"),
    ('{"order_id": 1, "item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C", '
     '"sale_datetime": "2026-11-24T10:00:00Z"} {"order_id": 2}', "not valid JSON"),
    ('{"order_id": 1, "item_id": 1, "net_paid": 12345678901234, "bill_customer_id": "C", "ship_customer_id": "C", '
     '"sale_datetime": "2026-11-24T10:00:00Z"}', "field 'net_paid' is out of range: at most 13 digits"),
    ('{"order_id": 1, "item_id": 1, "net_paid": "9999999999999.995", "bill_customer_id": "C", '
     '"ship_customer_id": "C", "sale_datetime": "2026-11-24T10:00:00Z"}', "field 'net_paid' is out of range"),
    ("", "not valid JSON"),
    ("\ufffd\ufffd{", "not valid JSON"),
])
def test_dead_letters_say_why(line, reason, parse):
    result = parse("sales", line)
    assert isinstance(result, DeadLetter) and reason in result, result


def test_the_kinesis_sources_event_time_is_the_validators_and_a_bad_record_moves_no_watermark(parse):
    """The Kinesis source stamps each record inside the source with the time validation reads
    (ValidateRecords.eventMillisOrMin); a record validation refuses gets the least time there is."""
    validator = record_validator("addresses")
    good = '{"address_id": "A1", "zip": "10001", "address_datetime": "2026-11-24T11:00:00.5+01:00"}'
    assert validator.eventMillisOrMin(good) == parse("addresses", good)[-1] == 1_795_514_400_500
    for bad in ('{"address_id": "A2", "zip": 10001, "address_datetime": "2026-11-24T10:00:00Z"}',
                '{"address_id": "A3", "address_datetime": "2026-02-30T10:00:00Z"}', "not json"):
        assert isinstance(parse("addresses", bad), DeadLetter)
        assert validator.eventMillisOrMin(bad) == -2**63


def _decimal_texts(rng) -> list[str]:
    """Decimal texts as senders write them, and the awkward ones: halves, negative zero, carries
    into a new digit, leading zeros, more fraction digits than the scale, 18 and more digits."""
    texts = ["0", "-0", "0.005", "-0.005", "-0.004", "0.0049999", "9.995", "-9.995", "99.995", "007.5",
             "9999999999999.994", "9999999999999.995", "123456789012345678", "1234567890123456.785",
             "0.000000000000000000001", "12345678901234567890.5", "1e3", "-1.5E-2", "+4.125", "1."]
    for _ in range(3000):
        integer = str(rng.randrange(10 ** rng.randrange(1, 17)))
        fraction = "".join(rng.choice("0123456789") for _ in range(rng.randrange(0, 6)))
        texts.append(("-" if rng.random() < 0.3 else "") + integer + ("." + fraction if fraction else ""))
    return texts


def test_money_rounds_half_up_exactly_as_decimal_arithmetic_does(parse):
    """The Java rounding of the document's decimals (a fast path in a long, BigDecimal beyond it)
    against Python's decimal module, at the scales and precisions the document uses."""
    import random
    from decimal import ROUND_HALF_UP
    from flink_app.java_helper import helper

    for text in _decimal_texts(random.Random(11)):
        for scale, precision in ((2, 15), (2, 5), (0, 3), (4, 18)):
            value = Decimal(text).quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
            expected = format(value, "f") if len(value.as_tuple().digits) <= precision else None
            if expected is not None and Decimal(expected) == 0:
                expected = expected.lstrip("-")  # BigDecimal has no negative zero
            assert helper().Decimals.rounded(text, scale, precision) == expected, (text, scale, precision)


def test_the_event_time_is_the_instant_the_timestamp_names(parse):
    """event_ms against Python's datetime over random timestamps: offsets, fractions of 1 to 9
    digits (truncated to the millisecond), leap days, the years around the epoch."""
    import random
    rng = random.Random(5)
    for _ in range(2000):
        moment = dt.datetime(rng.randrange(1950, 2100), 1, 1) + dt.timedelta(seconds=rng.randrange(366 * 86400))
        digits = rng.randrange(0, 10)
        fraction = "".join(rng.choice("0123456789") for _ in range(digits))
        minutes = rng.choice([0, rng.randrange(-18 * 60, 18 * 60 + 1)])
        zone = "Z" if minutes == 0 and rng.random() < 0.5 else \
            f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        text = moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if digits else "") + zone
        offset = dt.timezone(dt.timedelta(minutes=minutes))
        expected = (moment.replace(tzinfo=offset) - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) \
            // dt.timedelta(milliseconds=1) + int((fraction + "000")[:3])
        line = json.dumps({"order_id": 1, "item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C",
                           "sale_datetime": text})
        assert parse("sales", line)[-1] == expected, text
    for invalid in ("2026-02-29T10:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24T10:60:00Z",
                    "2026-11-24T10:00:00+18:01", "2026-04-31T10:00:00.5+01:00"):
        line = json.dumps({"order_id": 1, "item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C",
                           "sale_datetime": invalid})
        assert "is not a valid timestamp" in parse("sales", line), invalid
