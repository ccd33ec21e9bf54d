"""The order document (CONTRACT.md §3) that the helper's OrderDocuments writes from a joined sale
line, on the MiniCluster, against the document built here from the contract for rows chosen for
what a writer can get wrong: rounding, values too large, escaping, absent references, the date."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from pyflink.datastream import StreamExecutionEnvironment

from flink_app.documents import order_documents
from flink_app.geocoding import GEOCODE_COLUMNS
from flink_app.java_helper import add_helper_jar
from flink_app.records import FIELDS
from flink_app.reference import INTEGER_FIELDS, ITEM_FIELDS, PROMO_FIELDS
from flink_app.validate import columns, row_type

PARTIES = (("bill_customer", "bc", "ba"), ("ship_customer", "sc", "sa"))
JOINED = (columns("sales")
          + [(f"item_{f}", "int" if f in INTEGER_FIELDS else "str") for f in ITEM_FIELDS]
          + [(f"promo_{f}", "int" if f in INTEGER_FIELDS else "str") for f in PROMO_FIELDS]
          + [(f"{prefix}_{name}", kind) for _, customer, address in PARTIES
             for prefix, cols in ((customer, columns("customers")), (address, columns("addresses") + GEOCODE_COLUMNS))
             for name, kind in cols])
AWKWARD = 'quote " backslash \\ tab\tnewline\nbell\x07 é 東京 🙂'


def sale(**values) -> dict:
    base = {"order_id": 7, "item_id": 42, "quantity": 3, "bill_customer_id": "C1", "ship_customer_id": "C2",
            "promo_id": "P1", "sale_datetime": "2026-11-24T23:59:59.999Z", "event_ms": 1795564799999,
            **{name: "12.345" for name, kind in FIELDS["sales"].items() if kind == "decimal"}}
    return base | values


def customer(customer_id: str, address_id: str) -> dict:
    return {"customer_id": customer_id, "first_name": AWKWARD, "address_id": address_id, "purchase_estimate": 5000,
            "birth_date": "1980-02-29", "customer_datetime": "2026-11-01T00:00:00Z", "event_ms": 1793491200000}


def address(address_id: str, located: bool) -> dict:
    return {"address_id": address_id, "city": "Springfield", "gmt_offset": "-5", "zip": "01234",
            "address_datetime": "2026-11-01T00:00:00Z", "event_ms": 1793491200000,
            "location_lat": 40.7484 if located else None, "location_lon": -73.9967 if located else None,
            "geocode_status": "ok" if located else "not_found", "geocode_precision": "postcode" if located else None,
            "geocode_provider": "offline-zip"}


ITEM = {"item_id": 42, "product_name": AWKWARD, "brand": None}
PROMO = {"promo_id": "P1", "cost": "1000.005", "response_target": 1, "promo_start_date": "2026-01-01"}

CASES = [  # (sale, item, promo, [(customer, address) of bill and ship])
    (sale(), ITEM, PROMO, [(customer("C1", "A1"), address("A1", True)), (customer("C2", "A2"), address("A2", False))]),
    (sale(promo_id="P9", event_ms=1795564800000, sale_datetime="2026-11-25T00:00:00Z"), None, None,
     [(None, None), (customer("C2", "A9"), None)]),
    (sale(promo_id=None, net_paid="-0.004"), ITEM, {**PROMO, "cost": "99999999999999.99"},
     [(customer("C1", "A1"), address("A1", True)), (customer("C1", "A1"), address("A1", True))]),
]


def joined_row(sale_values: dict, item: dict | None, promo: dict | None, parties: list) -> tuple:
    values = dict(sale_values)
    values |= {f"item_{k}": v for k, v in (item or {}).items()} | {f"promo_{k}": v for k, v in (promo or {}).items()}
    for (_, customer_prefix, address_prefix), (customer_values, address_values) in zip(PARTIES, parties):
        values |= {f"{customer_prefix}_{k}": v for k, v in (customer_values or {}).items()}
        values |= {f"{address_prefix}_{k}": v for k, v in (address_values or {}).items()}
    assert set(values) <= {name for name, _ in JOINED}
    return tuple(values.get(name) for name, _ in JOINED)


def number(text: str | None, scale: int, digits: int) -> Decimal | None:
    if text is None:
        return None
    value = Decimal(text).quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    return value if len(value.as_tuple().digits) <= digits else None


def fields(kinds: dict[str, str], values: dict) -> dict:
    return {name: number(values.get(name), 2, 5 if name == "gmt_offset" else 15) if kind == "decimal"
            else values.get(name) for name, kind in kinds.items()}


def expected_document(sale_values: dict, item: dict | None, promo: dict | None, parties: list) -> dict:
    document = {"line_id": f"{sale_values['order_id']}-{sale_values['item_id']}", **fields(FIELDS["sales"], sale_values)}
    missing = []
    for (name, _, _), (customer_values, address_values) in zip(PARTIES, parties):
        if customer_values is None:
            document[name] = None
            missing.append(name)
            continue
        located = None
        if address_values is not None:
            located = {**fields(FIELDS["addresses"], address_values),
                       "location": None if address_values["location_lat"] is None else
                       {"lat": Decimal(str(address_values["location_lat"])),
                        "lon": Decimal(str(address_values["location_lon"]))},
                       "geocode": {"status": address_values["geocode_status"],
                                   "precision": address_values["geocode_precision"],
                                   "provider": address_values["geocode_provider"]}}
        else:
            missing.append(f"{name}.address")
        document[name] = {**fields(FIELDS["customers"], customer_values), "address": located}
    kinds = {f: "int" if f in INTEGER_FIELDS else "decimal" if f == "cost" else "str" for f in ITEM_FIELDS + PROMO_FIELDS}
    document["item"] = None if item is None else fields({f: kinds[f] for f in ITEM_FIELDS}, item)
    document["promo"] = None if promo is None else fields({f: kinds[f] for f in PROMO_FIELDS}, promo)
    missing += ["item"] * (item is None) + ["promo"] * (promo is None and sale_values["promo_id"] is not None)
    return document | {"missing": missing}


def utf8(document: list[int]) -> bytes:
    """The document's bytes (Java bytes reach Python as signed integers)."""
    return bytes(b & 0xFF for b in document)


@pytest.fixture(scope="module")
def written() -> list:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    add_helper_jar(env)
    rows = env.from_collection([joined_row(*case) for case in CASES], type_info=row_type(JOINED))
    with order_documents(rows, ["bc", "ba", "sc", "sa"]).execute_and_collect() as documents:
        return [(line_id, utf8(document), dt) for line_id, document, dt in documents]


def test_each_document_is_the_contracts_document_of_its_sale_line(written):
    assert len(written) == len(CASES)
    for (line_id, document, _), case in zip(written, CASES):
        parsed = json.loads(document, parse_float=Decimal)
        assert parsed == expected_document(*case)
        assert line_id == parsed["line_id"]


def test_money_is_rounded_half_up_to_the_cent_and_too_large_a_cost_is_null(written):
    complete, _, unpromoted = (json.loads(document, parse_float=Decimal) for _, document, _ in written)
    assert complete["net_paid"] == Decimal("12.35") and complete["promo"]["cost"] == Decimal("1000.01")
    assert b'"net_paid":0.00,' in written[2][1]  # -0.004 rounds to zero, written with its cents
    assert unpromoted["promo"]["cost"] is None


def test_the_partition_is_the_sales_utc_date(written):
    assert [dt for _, _, dt in written] == ["2026-11-24", "2026-11-25", "2026-11-24"]
