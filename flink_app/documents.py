"""The order document (docs/contract.md §3) from the job's copy of the contract: the sale's fields,
`bill_customer` and `ship_customer` each with its `address` (its location and geocoding outcome),
`item`, `promo` and `missing`, as one JSON object, with `line_id` and `dt` (the sale's UTC date)
beside it.

Each part is encoded once, where it enters the job (the Java helper's EncodeDocument for the
streams, WithReferenceData for a reference snapshot), and OrderDocuments puts the parts of each
joined sale line in place: a customer version is encoded once, not once for each of its sales."""

from __future__ import annotations

from pyflink.datastream import DataStream
from pyflink.java_gateway import get_gateway
from pyflink.util.java_utils import to_jarray

from flink_app.java_helper import helper
from flink_app.records import FIELDS
from flink_app.reference import INTEGER_FIELDS, ITEM_FIELDS, PROMO_FIELDS

MONEY = (15, 2)  # (precision, scale) of the document's money fields
GMT_OFFSET = (5, 2)


def decimal_digits(name: str) -> tuple[int, int]:
    """(precision, scale) of the decimal field `name` in the order document."""
    return GMT_OFFSET if name == "gmt_offset" else MONEY


def document_fields(kinds: dict[str, str]):
    """The Java description of one part of the document: its fields and their kinds, in order."""
    jvm = get_gateway().jvm
    digits = [decimal_digits(name) if kind == "decimal" else (0, 0) for name, kind in kinds.items()]
    return helper().DocumentFields(
        to_jarray(jvm.String, list(kinds)),
        to_jarray(jvm.String, list(kinds.values())),
        to_jarray(jvm.int, [p for p, _ in digits]),
        to_jarray(jvm.int, [s for _, s in digits]),
    )


# What each stream keeps beside its encoded part: what the joins, dedup and partitions still need.
KEPT = {
    "sales": ("order_id", "item_id", "promo_id", "bill_customer_id", "ship_customer_id", "event_ms"),
    "customers": ("customer_id", "address_id", "event_ms"),
    "addresses": ("address_id", "event_ms"),
}


def encoded(rows: DataStream, stream: str) -> DataStream:
    """The stream's validated rows (addresses: geocoded) as their `KEPT` fields and `document`, their
    part of the order document."""
    return DataStream(
        helper().EncodeDocument.of(
            rows._j_data_stream,
            document_fields(FIELDS[stream]),
            to_jarray(get_gateway().jvm.String, list(KEPT[stream])),
            stream == "addresses",
            stream,
        )
    )


def reference_fields() -> tuple:
    """The Java descriptions of the items' and the promos' rows."""
    return document_fields(_reference_kinds(ITEM_FIELDS)), document_fields(_reference_kinds(PROMO_FIELDS))


def order_documents(joined: DataStream, parties: list[str]) -> DataStream:
    """Rows of (line_id, document: UTF-8 JSON bytes, dt) from the joined sale lines, whose as-of
    joins were those of `parties`, in the document's order."""
    return DataStream(helper().OrderDocuments.of(joined._j_data_stream, to_jarray(get_gateway().jvm.String, parties)))


def _reference_kinds(fields: tuple[str, ...]) -> dict[str, str]:
    return {name: "int" if name in INTEGER_FIELDS else "decimal" if name == "cost" else "str" for name in fields}
