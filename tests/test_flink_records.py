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
from flink_app.java_helper import add_helper_jar, record_validator
from flink_app.records import EVENT_TIME, FIELDS, REQUIRED
from tests.support.contract import STREAMS, classify, schema
from tests.support.order_oracle import bus_records


class DeadLetter(str):
    """The reason a record was refused."""


@pytest.fixture(scope="module")
def parse():
    """parse(stream, line): the validated row's values (the fields, then event_ms), or a DeadLetter;
    a line given as text is sent as UTF-8."""
    add_helper_jar(StreamExecutionEnvironment.get_execution_environment())
    validators = {stream: record_validator(stream) for stream in STREAMS}

    def parse(stream: str, line: str | bytes) -> tuple | DeadLetter:
        try:
            row = validators[stream].parse(line if isinstance(line, bytes) else line.encode())
        except Py4JJavaError as error:
            assert error.java_exception.getClass().getSimpleName() == "InvalidRecord", str(error)
            return DeadLetter(error.java_exception.getMessage())
        return tuple(row.getField(i) for i in range(row.getArity()))

    return parse


SCHEMA_KIND = {("string",): "str", ("integer",): "int", ("string", "number"): "decimal"}
FORMAT = {"date": "date", "timestamp": "date-time"}


@pytest.fixture(scope="module")
def bus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("records")
    assert (
        datagen(
            [
                "--bus",
                str(root / "bus"),
                "--reference",
                str(root / "ref"),
                "--customers",
                "300",
                "--sales",
                "5000",
                "--bad-rate",
                "0.03",
                "--quiet",
            ]
        )
        == 0
    )
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
            assert types == ("string",) and "pattern" in spec and spec["format"] == FORMAT[kind]
        elif kind == "id":
            assert types == ("string",) and spec["minLength"] == 1, name
        else:
            assert SCHEMA_KIND[types] == kind and "minLength" not in spec, name


@pytest.mark.parametrize("stream", STREAMS)
def test_a_record_is_a_dead_letter_exactly_when_the_schema_rejects_it(bus, stream, parse):
    # The first 1,500 records of each stream: every kind of bad record is among them (3% are bad),
    # and each record costs a Py4J call per field.
    lines = [line for f in sorted((bus / stream).glob("*.jsonl")) for line in bus_records(f)][:1500]
    verdicts = [(classify(stream, line), parse(stream, line)) for line in lines]
    assert sum(v != "valid" for v, _ in verdicts) > 3
    for verdict, result in verdicts:
        assert isinstance(result, DeadLetter) == (verdict != "valid"), result
        if isinstance(result, DeadLetter):
            assert result


def test_values_keep_their_exact_text_and_the_event_time_is_read(parse):
    line = json.dumps(
        {
            "order_id": 7,
            "item_id": 3,
            "quantity": 2,
            "sales_price": 12.34,
            "net_paid": "24.68",
            "net_profit": "-0.05",
            "ext_tax": 1e2,
            "coupon_amt": 0.1,
            "bill_customer_id": "C1",
            "ship_customer_id": "C2",
            "promo_id": None,
            "sale_datetime": "2026-11-24T11:15:30.123+01:00",
        }
    )
    record = parse("sales", line)
    assert not isinstance(record, DeadLetter), record
    values = dict(zip([*FIELDS["sales"], "event_ms"], record))
    assert (values["sales_price"], values["net_paid"], values["net_profit"]) == ("12.34", "24.68", "-0.05")
    assert Decimal(values["sales_price"]) == Decimal("12.34")  # the number as written, not 12.339999...
    assert Decimal(values["ext_tax"]) == 100 and values["coupon_amt"] == "0.1"
    assert values["order_id"] == 7 and values["quantity"] == 2
    assert not isinstance(parse("sales", line.replace('"24.68"', '"9999999999999.99"')), DeadLetter)  # the largest
    address = parse(
        "addresses", '{"address_id": "A", "gmt_offset": "-1234.5", "address_datetime": "2026-11-24T10:00:00Z"}'
    )
    assert "at most 3 digits" in address  # gmt_offset is DECIMAL(5, 2)
    assert values["promo_id"] is None and values["wholesale_cost"] is None
    assert values[EVENT_TIME["sales"]] == "2026-11-24T11:15:30.123+01:00"
    expected_ms = int(dt.datetime(2026, 11, 24, 10, 15, 30, 123000, tzinfo=dt.timezone.utc).timestamp() * 1000)
    assert values["event_ms"] == expected_ms


@pytest.mark.parametrize(
    "line, reason",
    [
        ('{"order_id": 7, "item_id"', "not valid JSON"),
        ("[1, 2]", "not a JSON object but an array"),
        ("null", "not a JSON object but null"),
        (
            '{"order_id": 1, "item_id": 1, "bill_customer_id": {"id": "C"}, "ship_customer_id": "C", '
            '"sale_datetime": "2026-11-24T10:00:00Z"}',
            "field 'bill_customer_id' must be a non-empty string, not an object",
        ),
        (
            '{"item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C", "sale_datetime": "2026-11-24T10:00:00Z"}',
            "missing required field 'order_id'",
        ),
        (
            '{"order_id": null, "item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C", '
            '"sale_datetime": "2026-11-24T10:00:00Z"}',
            "missing required field 'order_id'",
        ),
        (
            '{"order_id": true, "item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C", '
            '"sale_datetime": "2026-11-24T10:00:00Z"}',
            "field 'order_id' must be a 64-bit integer, not a boolean",
        ),
        (
            '{"order_id": 1, "item_id": 1, "quantity": "three", "bill_customer_id": "C", "ship_customer_id": "C", '
            '"sale_datetime": "2026-11-24T10:00:00Z"}',
            "field 'quantity' must be a 64-bit integer, not a string",
        ),
        (
            '{"order_id": 18446744073709551616, "item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C", '
            '"sale_datetime": "2026-11-24T10:00:00Z"}',
            "field 'order_id' must be a 64-bit integer",
        ),
        (
            '{"order_id": 1, "item_id": 1, "sales_price": "12,34", "bill_customer_id": "C", "ship_customer_id": "C", '
            '"sale_datetime": "2026-11-24T10:00:00Z"}',
            "field 'sales_price' must be a decimal",
        ),
        (
            '{"order_id": 1, "item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C", '
            '"sale_datetime": "2026-11-24 10:00:00"}',
            "must be an ISO-8601 timestamp with an offset",
        ),
        (
            '{"order_id": 1, "item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C", '
            '"sale_datetime": "2026-13-24T10:00:00Z"}',
            "is not a valid timestamp",
        ),
        (
            '{"order_id": 1, "item_id": 1.0, "bill_customer_id": "C", "ship_customer_id": "C", '
            '"sale_datetime": "2026-11-24T10:00:00Z"}',
            "field 'item_id' must be a 64-bit integer, not a number",
        ),
        (
            '{"order_id": 1, "item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C", '
            '"sale_datetime": "2026-11-24T10:00:00Z"} {"order_id": 2}',
            "not valid JSON",
        ),
        (
            '{"order_id": 1, "item_id": 1, "net_paid": 12345678901234, "bill_customer_id": "C", "ship_customer_id": "C", '
            '"sale_datetime": "2026-11-24T10:00:00Z"}',
            "field 'net_paid' is out of range: at most 13 digits",
        ),
        (
            '{"order_id": 1, "item_id": 1, "net_paid": "9999999999999.995", "bill_customer_id": "C", '
            '"ship_customer_id": "C", "sale_datetime": "2026-11-24T10:00:00Z"}',
            "field 'net_paid' is out of range",
        ),
        ("", "not valid JSON"),
        (b"\xff\xfe{", "not UTF-8: invalid byte 0xFF at byte offset 0"),
    ],
)
def test_dead_letters_say_why(line, reason, parse):
    result = parse("sales", line)
    assert isinstance(result, DeadLetter) and reason in result, result


def sale(**fields) -> bytes:
    """A valid sale line with `fields` set (a value given as bytes is written as it is)."""
    record = {
        "order_id": 1,
        "item_id": 1,
        "bill_customer_id": "C",
        "ship_customer_id": "C",
        "sale_datetime": "2026-11-24T10:00:00Z",
    }
    record.update(fields)
    return (
        b"{"
        + b", ".join(
            json.dumps(n).encode() + b": " + (v if isinstance(v, bytes) else json.dumps(v).encode())
            for n, v in record.items()
        )
        + b"}"
    )


@pytest.mark.parametrize(
    "line, reason",
    [
        (
            sale(net_paid=b"1e999999999"),
            "field 'net_paid' is out of range: at most 13 digits before the decimal point, not '1E+999999999'",
        ),
        (sale(net_paid=b"-1e2000000"), "field 'net_paid' is out of range"),
        (sale(net_paid="9" * 1_000_000), "field 'net_paid' is out of range"),
        (sale(quantity=b"1e999999999"), "field 'quantity' must be a 64-bit integer, not a number"),
        (sale(quantity=b"1" * 1100), "not valid JSON: Number value length (1100) exceeds the maximum allowed"),
        (sale(net_paid=b"1e9999999999"), "not valid JSON"),
        (sale(ship_mode=b'"caf\xc3"'), "not UTF-8: invalid byte 0xC3 at byte offset"),
        (sale(ship_mode=b'"\xed\xa0\x80"'), "not UTF-8: invalid byte 0xED"),  # a surrogate, encoded
        (sale(ship_mode=b'"\xc0\xaf"'), "not UTF-8: invalid byte 0xC0"),  # an overlong '/'
        (sale(bill_customer_id=""), "field 'bill_customer_id' must be a non-empty string, not a string ('')"),
        (sale(ship_customer_id=""), "field 'ship_customer_id' must be a non-empty string"),
        (sale(ship_mode="x\ud800"), "field 'ship_mode' holds a lone surrogate \\uD800, which is not text"),
        (sale(ship_mode="\udc00\ud83d"), "field 'ship_mode' holds a lone surrogate \\uDC00"),
        (sale(note="\ud800"), "member 'note' holds a lone surrogate"),
        (sale(**{"\ud800": 1}), "member name holds a lone surrogate"),
        (sale(order_id=1).replace(b'"item_id"', b'"order_id": 2, "item_id"'), "member 'order_id' appears twice"),
        (sale(note=1).replace(b'"item_id"', b'"note": 2, "item_id"'), "member 'note' appears twice"),
        (sale(sale_datetime=b"NaN"), "not valid JSON"),
    ],
)
def test_hostile_records_are_dead_letters_with_the_reason(line, reason, parse):
    result = parse("sales", line)
    assert isinstance(result, DeadLetter) and reason in result, result


def test_a_number_is_weighed_before_its_digits_are_expanded(parse):
    """Magnitudes beyond any document's (1e-2000000, a million-digit string) are read in the time of
    their text: tiny ones round to zero, and the document rounds what validation passes."""
    from flink_app.java_helper import helper

    values = dict(
        zip(
            FIELDS["sales"],
            parse("sales", sale(net_paid=b"1e-2000000", ext_tax=b"1.5E+2", coupon_amt="0." + "0" * 1_000_000 + "5")),
        )
    )
    assert (values["net_paid"], values["ext_tax"]) == ("0.00", "150")
    assert helper().Decimals.rounded(values["coupon_amt"], 2, 15) == "0.00"
    assert helper().Decimals.rounded("0" * 1_000_000 + "12.345" + "9" * 1_000_000, 2, 15) == "12.35"
    assert helper().Decimals.rounded("1" + "0" * 1_000_000, 2, 15) is None
    assert helper().Decimals.rounded("-1E-2000000", 2, 15) == "0.00"
    assert helper().Decimals.rounded("9999999999999.99" + "4" * 1_000_000, 2, 15) == "9999999999999.99"


def test_a_text_that_is_utf8_except_for_one_byte_says_where(parse):
    line = sale(ship_mode="Überseeversand", ship_carrier=b'"\xe2\x82"')  # a € cut short
    assert parse("sales", line) == DeadLetter(
        f"not UTF-8: invalid byte 0xE2 at byte offset {line.index(bytes([0xE2]))}"
    )
    assert not isinstance(parse("sales", sale(ship_mode="Überseeversand \U0001f680 €")), DeadLetter)


@pytest.mark.parametrize(
    "birth_date, valid",
    [
        ("2024-02-29", True),
        ("2026-02-29", False),
        ("2026-13-45", False),
        ("2026-04-31", False),
        ("2026-00-01", False),
        ("0000-02-29", True),
    ],
)
def test_a_birth_date_must_be_a_day_of_the_calendar(birth_date, valid, parse):
    line = json.dumps(
        {"customer_id": "C", "address_id": "A", "birth_date": birth_date, "customer_datetime": "2026-11-24T10:00:00Z"}
    )
    result = parse("customers", line)
    assert isinstance(result, DeadLetter) != valid, result
    if not valid:
        assert result == f"field 'birth_date' is not a valid date: '{birth_date}'"


def test_the_kinesis_sources_event_time_is_the_validators_and_a_bad_record_moves_no_watermark(parse):
    """The Kinesis source stamps each record inside the source with the time validation reads
    (ValidateRecords.eventMillisOrMin); a record validation refuses gets the least time there is."""
    validator = record_validator("addresses")
    good = '{"address_id": "A1", "zip": "10001", "address_datetime": "2026-11-24T11:00:00.5+01:00"}'
    assert validator.eventMillisOrMin(good.encode()) == parse("addresses", good)[-1] == 1_795_514_400_500
    for bad in (
        '{"address_id": "A2", "zip": 10001, "address_datetime": "2026-11-24T10:00:00Z"}',
        '{"address_id": "A3", "address_datetime": "2026-02-30T10:00:00Z"}',
        "not json",
    ):
        assert isinstance(parse("addresses", bad), DeadLetter)
        assert validator.eventMillisOrMin(bad.encode()) == -(2**63)


def _decimal_texts(rng) -> list[str]:
    """Decimal texts as senders write them, and the awkward ones: halves, negative zero, carries
    into a new digit, leading zeros, more fraction digits than the scale, 18 and more digits."""
    texts = [
        "0",
        "-0",
        "0.005",
        "-0.005",
        "-0.004",
        "0.0049999",
        "9.995",
        "-9.995",
        "99.995",
        "007.5",
        "9999999999999.994",
        "9999999999999.995",
        "123456789012345678",
        "1234567890123456.785",
        "0.000000000000000000001",
        "12345678901234567890.5",
        "1e3",
        "-1.5E-2",
        "+4.125",
        "1.",
    ]
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
        zone = (
            "Z"
            if minutes == 0 and rng.random() < 0.5
            else f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        )
        text = moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if digits else "") + zone
        offset = dt.timezone(dt.timedelta(minutes=minutes))
        expected = (moment.replace(tzinfo=offset) - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(
            milliseconds=1
        ) + int((fraction + "000")[:3])
        line = json.dumps(
            {"order_id": 1, "item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C", "sale_datetime": text}
        )
        assert parse("sales", line)[-1] == expected, text
    for invalid in (
        "2026-02-29T10:00:00Z",
        "2026-11-24T24:00:00Z",
        "2026-11-24T10:60:00Z",
        "2026-11-24T10:00:00+18:01",
        "2026-04-31T10:00:00.5+01:00",
    ):
        line = json.dumps(
            {"order_id": 1, "item_id": 1, "bill_customer_id": "C", "ship_customer_id": "C", "sale_datetime": invalid}
        )
        assert "is not a valid timestamp" in parse("sales", line), invalid


SAMPLES = {
    "customers": {
        "customer_id": "C1",
        "address_id": "A1",
        "birth_date": "1980-02-29",
        "customer_datetime": "2026-11-24T10:00:00Z",
    },
    "addresses": {"address_id": "A1", "gmt_offset": "-5.00", "address_datetime": "2026-11-24T10:00:00Z"},
    "sales": {
        "order_id": 1,
        "item_id": 2,
        "net_paid": "12.34",
        "bill_customer_id": "C1",
        "ship_customer_id": "C2",
        "sale_datetime": "2026-11-24T10:00:00Z",
    },
}
# JSON texts of values, the edges of every constraint the schemas and the validator hold.
EDGE_VALUES = [
    "null",
    "true",
    "[]",
    "{}",
    '""',
    '" "',
    '"x"',
    '"\\ud800"',
    '"x\\udc00y"',
    '"\\ud83d\\ude00"',
    '"caf\\u00e9"',
    '"\\u0000"',
    '"12.34\\n"',
    "0",
    "-0",
    "1",
    "1.0",
    "1e2",
    "1E+2",
    "-1.5e-3",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "1" * 900,
    "1" * 1100,
    "0." + "0" * 1100 + "1",
    "1e2000000",
    "-1e2000000",
    "1e-2000000",
    "1e999999999",
    "0e999999999",
    "9999999999999.994",
    "9999999999999.995",
    "-9999999999999.995",
    "999.994",
    "999.995",
    "12345678901234",
    '"9999999999999.994999"',
    '"9999999999999.995"',
    '"-9999999999999.995"',
    '"0009999999999999.99"',
    '"999.995"',
    '"999.994999"',
    '"-0"',
    '"1."',
    '".5"',
    '"1e3"',
    '"+1"',
    '"12,34"',
    '"\\u0661\\u0662"',
    '"' + "9" * 100_000 + '"',
    '"0.' + "0" * 100_000 + '1"',
    '"' + "0" * 100_000 + '1.005"',
    '"2024-02-29"',
    '"2026-02-29"',
    '"2026-13-01"',
    '"2026-00-10"',
    '"2026-04-31"',
    '"2026-11-24"',
    '"0000-02-29"',
    '"1900-02-29"',
    '"2026-13-45"',
    '"\\u0662026-11-24"',
    '"2026-11-24T10:00:00Z"',
    '"2024-02-29T23:59:59.123456789-18:00"',
    '"2026-02-29T10:00:00Z"',
    '"2026-11-24T24:00:00Z"',
    '"2026-12-31T23:59:60Z"',
    '"2026-11-24T10:00:00+18:00"',
    '"2026-11-24T10:00:00+18:01"',
    '"2026-11-24T10:00:00+19:00"',
    '"2026-11-24T10:00:00.1234567890Z"',
    '"2026-11-24T10:60:00Z"',
    '"2026-11-24T10:00:00z"',
    '"2026-11-24 10:00:00Z"',
    '"0000-01-01T00:00:00Z"',
]


def _random_values(rng) -> list[str]:
    """Generated values around the same edges: dates and timestamps with fields anywhere in 0-99,
    decimals with exponents and digits to spare, integers near 64 bits."""
    values = []
    for _ in range(60):
        date = f"{rng.randrange(10000):04d}-{rng.randrange(100):02d}-{rng.randrange(100):02d}"
        values.append(f'"{date}"')
        values.append(
            f'"{date}T{rng.randrange(30):02d}:{rng.randrange(70):02d}:{rng.randrange(70):02d}'
            f'{rng.choice(["Z", "+18:00", "-17:59", "+18:30", "+05:60"])}"'
        )
        mantissa = str(rng.randrange(10 ** rng.randrange(1, 20))) + rng.choice(["", "." + str(rng.randrange(10**6))])
        number = rng.choice(["-", ""]) + mantissa + rng.choice(["", f"e{rng.randrange(-30, 30)}"])
        values += [number, f'"{mantissa}"', str(rng.choice([1, -1]) * (2**63 + rng.randrange(-3, 3)))]
    return values


@pytest.mark.parametrize("stream", STREAMS)
def test_the_validator_gives_the_schemas_verdict_on_every_edge(stream, parse):
    """Each field of a valid record set to each value: a dead letter exactly when the schema (as
    tests.support.contract reads it: I-JSON, formats asserted) refuses the record."""
    import random

    assert not isinstance(parse(stream, json.dumps(SAMPLES[stream])), DeadLetter)
    sample = {name: json.dumps(value) for name, value in SAMPLES[stream].items()}
    disagreements = []
    for name in FIELDS[stream]:
        for value in EDGE_VALUES + _random_values(random.Random(name)):
            members = {**sample, name: value}
            line = ("{" + ", ".join(f'"{n}": {v}' for n, v in members.items()) + "}").encode()
            refused = isinstance(parse(stream, line), DeadLetter)
            if refused != (classify(stream, line) != "valid"):
                disagreements.append((name, value[:80], parse(stream, line)))
    assert not disagreements, disagreements[:10]
