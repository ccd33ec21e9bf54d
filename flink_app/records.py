"""Validation of raw stream records (CONTRACT.md §1, §4): a JSON line becomes a typed record, or a
dead letter that carries the raw payload, its stream and the reason. Nothing is dropped silently.

The field lists here are the job's copy of the contract; tests/test_flink_records.py holds them to
events/schemas/, the machine-readable contract.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import orjson

# Field kinds: "str", "int", "decimal", "timestamp", "date".
CUSTOMER_FIELDS = {
    "customer_id": "str", "salutation": "str", "first_name": "str", "last_name": "str",
    "birth_country": "str", "email_address": "str", "address_id": "str", "gender": "str",
    "marital_status": "str", "education_status": "str", "purchase_estimate": "int",
    "credit_rating": "str", "buy_potential": "str", "vehicle_count": "int", "lower_bound": "int",
    "upper_bound": "int", "birth_date": "date", "customer_datetime": "timestamp",
}
ADDRESS_FIELDS = {
    "address_id": "str", "street": "str", "city": "str", "county": "str", "state": "str", "zip": "str",
    "country": "str", "gmt_offset": "decimal", "location_type": "str", "address_datetime": "timestamp",
}
MONEY_FIELDS = [
    "wholesale_cost", "list_price", "sales_price", "ext_discount_amt", "ext_sales_price",
    "ext_wholesale_cost", "ext_list_price", "ext_tax", "coupon_amt", "ext_ship_cost", "net_paid",
    "net_paid_inc_tax", "net_paid_inc_ship", "net_paid_inc_ship_tax", "net_profit",
]
SALE_FIELDS = {
    "order_id": "int", "item_id": "int", "quantity": "int", **{name: "decimal" for name in MONEY_FIELDS},
    "bill_customer_id": "str", "ship_customer_id": "str", "warehouse_id": "str", "promo_id": "str",
    "ship_delay": "str", "ship_mode": "str", "ship_carrier": "str", "sale_datetime": "timestamp",
}
FIELDS = {"customers": CUSTOMER_FIELDS, "addresses": ADDRESS_FIELDS, "sales": SALE_FIELDS}
REQUIRED = {
    "customers": ("customer_id", "address_id", "customer_datetime"),
    "addresses": ("address_id", "address_datetime"),
    "sales": ("order_id", "item_id", "bill_customer_id", "ship_customer_id", "sale_datetime"),
}
EVENT_TIME = {"customers": "customer_datetime", "addresses": "address_datetime", "sales": "sale_datetime"}

_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class Record:
    """A valid record: its fields in contract order. Strings and integers as they came; decimals as
    their exact decimal text (a JSON number as its shortest round-trip text, 12.34), for SQL to cast
    exactly; timestamps and dates as sent. `event_ms` is the record's event time."""

    stream: str
    values: tuple
    event_ms: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    stream: str
    raw: str
    reason: str


def parse(stream: str, raw: str | bytes) -> Record | DeadLetter:
    """One raw line of `stream` as a Record, or a DeadLetter saying why not."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return _dead(stream, raw, f"not valid JSON: {error}")
    if type(document) is not dict:
        return _dead(stream, raw, f"not a JSON object but {_json_type(document)}")
    for name in REQUIRED[stream]:
        if document.get(name) is None:
            return _dead(stream, raw, f"missing required field '{name}'")
    values = []
    for name, kind in _KINDS[stream]:  # the hot path: one loop, type checks inline
        value = document.get(name)
        kind_of_value = type(value)
        if value is None or (kind_of_value is str and kind == "str") or (
                kind_of_value is int and kind == "int" and _LONG_MIN <= value <= _LONG_MAX):
            values.append(value)
        elif kind == "decimal" and kind_of_value is str and _DECIMAL.fullmatch(value):
            values.append(value)
        elif kind == "decimal" and (kind_of_value is int or kind_of_value is float) and math.isfinite(value):
            values.append(repr(value))  # the shortest text that reads back as that float: 12.34
        elif kind == "timestamp" and kind_of_value is str and _TIMESTAMP.fullmatch(value):
            values.append(value)
        elif kind == "date" and kind_of_value is str and _DATE.fullmatch(value):
            values.append(value)
        else:
            return _dead(stream, raw, f"field '{name}' must be {_EXPECTED[kind]}, not {_json_type(value)}")
    moment = values[_EVENT_TIME_POSITION[stream]]
    try:
        event_ms = (dt.datetime.fromisoformat(moment.replace("Z", "+00:00")) - _EPOCH) // _MILLISECOND
    except ValueError:
        return _dead(stream, raw, f"field '{EVENT_TIME[stream]}' is not a valid timestamp: {moment!r:.60}")
    return Record(stream, tuple(values), event_ms)


def _dead(stream: str, raw: str | bytes, reason: str) -> DeadLetter:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return DeadLetter(stream, text, reason)


def _json_type(value: object) -> str:
    if isinstance(value, str):
        return f"a string ({value!r:.60})"
    return {bool: "a boolean", int: "an integer", float: "a number", list: "an array",
            dict: "an object"}.get(type(value), type(value).__name__)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MILLISECOND = dt.timedelta(milliseconds=1)
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_EXPECTED = {"str": "a string", "int": "a 64-bit integer", "date": "a date YYYY-MM-DD",
             "decimal": "a decimal (a number or a string such as \"12.34\")",
             "timestamp": "an ISO-8601 timestamp with an offset"}
_KINDS = {stream: tuple(fields.items()) for stream, fields in FIELDS.items()}
_EVENT_TIME_POSITION = {stream: list(FIELDS[stream]).index(EVENT_TIME[stream]) for stream in FIELDS}
