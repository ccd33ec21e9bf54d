"""The order document (docs/contract.md §3) from the job's copy of the contract: the sale's fields,
each party (`bill_customer`, `ship_customer`) with its `address` (its location and geocoding
outcome), `item`, `promo` and `missing`, as one JSON object, with `line_id` and `dt` (the sale's UTC
date) beside it.

Each part is encoded once, where it enters the job (the Java helper's EncodeDocument for the
streams, WithReferenceData for a reference snapshot), and OrderDocuments puts the parts of each
joined sale line in place: a customer version is encoded once, not once for each of its sales.
This module says what each part holds; flink_app/java_helper.py builds the operators."""

from __future__ import annotations

from flink_app.reference import INTEGER_FIELDS, ITEM_FIELDS, PROMO_FIELDS

# The parties of an order, each a customer with its address as of the sale (docs/contract.md §3):
# (its member in the order document, the sale's field naming the customer), in the document's
# order. Another party is one more entry here, beside its field in the sales' contract and its
# member in the order document's schema.
PARTIES = (("bill_customer", "bill_customer_id"), ("ship_customer", "ship_customer_id"))


def kept(stream: str) -> tuple[str, ...]:
    """What `stream` keeps beside its encoded part and its `event_ms`: what the joins, dedup and
    partitions still need."""
    if stream == "sales":
        return ("order_id", "item_id", "promo_id", *(customer_key for _, customer_key in PARTIES))
    return ("customer_id", "address_id") if stream == "customers" else ("address_id",)


def reference_kinds() -> tuple[dict[str, str], dict[str, str]]:
    """The kinds of the items' and the promos' fields in their parts of the document."""
    return _kinds(ITEM_FIELDS), _kinds(PROMO_FIELDS)


def _kinds(fields: tuple[str, ...]) -> dict[str, str]:
    return {name: "int" if name in INTEGER_FIELDS else "decimal" if name == "cost" else "str" for name in fields}
