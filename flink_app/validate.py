"""Validation of each stream by the Java helper's ValidateRecords, configured from the job's copy of
the contract (flink_app/records.py): a valid record becomes a row of the stream's fields and
`event_ms`, a bad one a dead letter with its reason. Java, not Python: every record passes here
(Python cost a Beam round trip per record, the job's bottleneck), and Flink SQL's JSON functions
fail the job on a wrong type or drop the record (docs/design.md)."""

from __future__ import annotations

from pyflink.common import Types
from pyflink.datastream import DataStream
from pyflink.java_gateway import get_gateway
from pyflink.util.java_utils import to_jarray

from flink_app.java_helper import helper
from flink_app.documents import decimal_digits
from flink_app.records import EVENT_TIME, FIELDS, REQUIRED


def columns(stream: str) -> list[tuple[str, str]]:
    """The validated row: the stream's fields (ints as int, the rest as text) and `event_ms`."""
    return [(name, "int" if kind == "int" else "str") for name, kind in FIELDS[stream].items()] + [("event_ms", "int")]


TYPES = {"int": Types.LONG, "double": Types.DOUBLE, "str": Types.STRING}


def row_type(cols: list[tuple[str, str]]):
    return Types.ROW_NAMED([c for c, _ in cols], [TYPES[k]() for _, k in cols])


def record_validator(stream: str):
    """The Java validator of `stream`'s records (its `parse(line)` can be called from Python).
    Decimals must fit the document's precision once rounded to its scale (the document would
    otherwise hold null)."""
    jvm = get_gateway().jvm
    digits = [decimal_digits(name) if kind == "decimal" else (0, 0) for name, kind in FIELDS[stream].items()]
    return helper().ValidateRecords(
        stream,
        to_jarray(jvm.String, list(FIELDS[stream])),
        to_jarray(jvm.String, list(FIELDS[stream].values())),
        to_jarray(jvm.String, list(REQUIRED[stream])),
        EVENT_TIME[stream],
        to_jarray(jvm.int, [p for p, _ in digits]),
        to_jarray(jvm.int, [s for _, s in digits]),
    )


def validated(raw: DataStream, validator) -> tuple[DataStream, DataStream]:
    """(the valid rows, the dead letters) of `raw`, the stream's records as bytes, by `validator`
    (`record_validator`)."""
    rows = helper().ValidateRecords.of(raw._j_data_stream, validator)
    return DataStream(rows), DataStream(rows.getSideOutput(helper().ValidateRecords.DEAD_LETTERS))
