"""The order documents (docs/contract.md §3) the job writes, from bus records and reference rows chosen
for what a document writer can get wrong (rounding, values too large, escaping, absent references,
the date at midnight), against the documents built here from the contract; and a third party of an
order, added as one entry in Python."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from flink_app.records import FIELDS
from flink_app.reference import INTEGER_FIELDS, ITEM_FIELDS, PROMO_FIELDS
from tests.support.job_output import read_orders
from tests.support.job_runs import ROOT, job_command, run_job

AWKWARD = 'quote " backslash \\ tab\tnewline\nbell\x07 é 東京 🙂'
VERSION_TIME = "2026-11-01T00:00:00Z"


def sale(order_id: int, item_id: int, promo_id: str | None, bill: str, ship: str, at: str, **values) -> dict:
    money = {name: "12.345" for name, kind in FIELDS["sales"].items() if kind == "decimal"}
    return {
        "order_id": order_id,
        "item_id": item_id,
        "quantity": 3,
        "bill_customer_id": bill,
        "ship_customer_id": ship,
        "promo_id": promo_id,
        "sale_datetime": at,
        **money,
        **values,
    }


def customer(customer_id: str, address_id: str) -> dict:
    return {
        "customer_id": customer_id,
        "first_name": AWKWARD,
        "address_id": address_id,
        "purchase_estimate": 5000,
        "birth_date": "1980-02-29",
        "customer_datetime": VERSION_TIME,
    }


CUSTOMERS = {"C1": customer("C1", "A1"), "C2": customer("C2", "A9")}  # A9 never arrives
ADDRESSES = {
    "A1": {"address_id": "A1", "city": AWKWARD, "gmt_offset": "-5", "zip": "01234", "address_datetime": VERSION_TIME}
}
ITEMS = {42: {"item_id": 42, "product_name": AWKWARD, "brand": None}}
PROMOS = {
    "P1": {"promo_id": "P1", "cost": "1000.005", "response_target": 1, "promo_start_date": "2026-01-01"},
    "P2": {"promo_id": "P2", "cost": "99999999999999.99", "response_target": 2},
}  # too large: null
SALES = [
    sale(7, 42, "P1", "C1", "C2", "2026-11-24T23:59:59.999Z"),
    sale(8, 43, "P9", "C404", "C2", "2026-11-25T00:00:00Z"),  # unknown item, promo and bill customer
    sale(9, 42, "P2", "C1", "C1", "2026-11-24T12:00:00+05:00", net_paid="-0.004"),
    sale(10, 42, None, "C2", "C1", "2026-11-24T12:00:00Z"),
]


def write_lines(path: Path, records) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")


def write_csv(path: Path, fields: tuple[str, ...], rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fields)
        writer.writeheader()
        writer.writerows({f: row.get(f) for f in fields} for row in rows)


def number(text: str | None, scale: int, digits: int) -> Decimal | None:
    if text is None:
        return None
    value = Decimal(text).quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    return value if len(value.as_tuple().digits) <= digits else None


def fields(kinds: dict[str, str], values: dict) -> dict:
    return {
        name: number(values.get(name), 2, 5 if name == "gmt_offset" else 15) if kind == "decimal" else values.get(name)
        for name, kind in kinds.items()
    }


PARTIES = (("bill_customer", "bill_customer_id"), ("ship_customer", "ship_customer_id"))


def expected_document(sale_values: dict, parties=PARTIES, sale_kinds=FIELDS["sales"]) -> dict:
    document = {
        "line_id": f"{sale_values['order_id']}-{sale_values['item_id']}",
        **fields(sale_kinds, sale_values),
    }
    missing = []
    for name, customer_key in parties:
        customer_values = CUSTOMERS.get(sale_values[customer_key])
        if customer_values is None:
            document[name] = None
            missing.append(name)
            continue
        address_values = ADDRESSES.get(customer_values["address_id"])
        located = None
        if address_values is None:
            missing.append(f"{name}.address")
        else:
            located = {
                **fields(FIELDS["addresses"], address_values),
                "location": None,
                "coarse_location": None,
                "geocode": {"status": "disabled", "precision": None, "provider": None},
            }
        document[name] = {**fields(FIELDS["customers"], customer_values), "address": located}
    kinds = {
        f: "int" if f in INTEGER_FIELDS else "decimal" if f == "cost" else "str" for f in ITEM_FIELDS + PROMO_FIELDS
    }
    item, promo = ITEMS.get(sale_values["item_id"]), PROMOS.get(sale_values["promo_id"])
    document["item"] = None if item is None else fields({f: kinds[f] for f in ITEM_FIELDS}, item)
    document["promo"] = None if promo is None else fields({f: kinds[f] for f in PROMO_FIELDS}, promo)
    missing += ["item"] * (item is None) + ["promo"] * (promo is None and sale_values["promo_id"] is not None)
    return document | {"missing": missing}


def write_inputs(root: Path, sales: list[dict]) -> None:
    """The bus (CUSTOMERS, ADDRESSES and `sales`) and the reference tables under `root`."""
    write_lines(root / "bus" / "customers" / "part-000.jsonl", CUSTOMERS.values())
    write_lines(root / "bus" / "addresses" / "part-000.jsonl", ADDRESSES.values())
    write_lines(root / "bus" / "sales" / "part-000.jsonl", sales)
    write_csv(root / "ref" / "items" / "items.csv", ITEM_FIELDS, ITEMS.values())
    write_csv(root / "ref" / "promos" / "promos.csv", PROMO_FIELDS, PROMOS.values())


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("documents")
    write_inputs(root, SALES)
    run_job(root)
    return {order["line_id"]: order for order in read_orders(root / "out")}


def test_each_document_is_the_contracts_document_of_its_sale_line(written):
    assert sorted(written) == sorted(f"{s['order_id']}-{s['item_id']}" for s in SALES)
    for sale_values in SALES:
        document = dict(written[f"{sale_values['order_id']}-{sale_values['item_id']}"])
        document.pop("dt")
        assert document == expected_document(sale_values)


def test_money_is_rounded_half_up_to_the_cent_and_too_large_a_cost_is_null(written):
    assert written["7-42"]["net_paid"] == Decimal("12.35") and written["7-42"]["promo"]["cost"] == Decimal("1000.01")
    assert written["9-42"]["net_paid"] == Decimal("0.00") and written["9-42"]["promo"]["cost"] is None


def test_the_partition_is_the_sales_utc_date(written):
    assert {line_id: order["dt"] for line_id, order in written.items()} == {
        "7-42": "2026-11-24",
        "8-43": "2026-11-25",
        "9-42": "2026-11-24",
        "10-42": "2026-11-24",
    }


# The job with a third party: the gift recipient, named by the sale's `gift_customer_id`. Python
# gets one field in the sales' contract and one entry in PARTIES; nothing else changes.
WITH_A_GIFT_RECIPIENT = """
import sys
from flink_app import documents, records
records.SALE_FIELDS["gift_customer_id"] = "id"
documents.PARTIES += (("gift_recipient", "gift_customer_id"),)
from flink_app.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_third_party_is_one_entry_in_python(tmp_path):
    gifts = ["C2", "C404", "C1", "C2"]  # C404 never arrives
    sales = [sale_values | {"gift_customer_id": gift} for sale_values, gift in zip(SALES, gifts)]
    write_inputs(tmp_path, sales)
    command = [sys.executable, "-c", WITH_A_GIFT_RECIPIENT, *job_command(tmp_path)[3:]]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=420)
    assert finished.returncode == 0, finished.stderr[-3000:]

    written = {order["line_id"]: order for order in read_orders(tmp_path / "out")}
    parties = (*PARTIES, ("gift_recipient", "gift_customer_id"))
    sale_kinds = FIELDS["sales"] | {"gift_customer_id": "id"}
    for sale_values in sales:
        document = dict(written[f"{sale_values['order_id']}-{sale_values['item_id']}"])
        document.pop("dt")
        assert document == expected_document(sale_values, parties, sale_kinds)
    assert written["8-43"]["missing"] == ["bill_customer", "ship_customer.address", "gift_recipient", "item", "promo"]
