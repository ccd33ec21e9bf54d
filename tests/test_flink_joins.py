"""The as-of joins (CONTRACT.md §4) where a customer's address is found through the addresses it
has named: a customer that moves away and back, an address shared by two customers, an address
version after the customer named it and one before. The expected address of each sale is worked
out here from the records' times."""

from __future__ import annotations

import datetime as dt

import pytest

from flink_app.reference import ITEM_FIELDS, PROMO_FIELDS
from tests.job_output import read_orders
from tests.job_runs import run_job
from tests.test_flink_documents import write_csv, write_lines

START = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def at(hours: float) -> str:
    return (START + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


# (hours, customer_id, address_id): C1 moves from A1 to A2 and back; C2 stays at A1
CUSTOMERS = [(0, "C1", "A1"), (0, "C2", "A1"), (2, "C1", "A2"), (4, "C1", "A1")]
ADDRESSES = [(0, "A1", "first street"), (1, "A2", "second street"), (3, "A1", "third street"),
             (5, "A1", "fifth street")]
SALE_HOURS = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]


def as_of(versions: list[tuple], key: str, hours: float) -> tuple | None:
    """The version of `key` (second field) with the greatest time (first field) at or before `hours`."""
    earlier = [version for version in versions if version[1] == key and version[0] <= hours]
    return max(earlier, key=lambda version: version[0]) if earlier else None


@pytest.fixture(scope="module")
def orders(tmp_path_factory) -> dict[int, dict]:
    root = tmp_path_factory.mktemp("joins")
    write_lines(root / "bus" / "customers" / "part-000.jsonl",
                [{"customer_id": c, "address_id": a, "customer_datetime": at(h)} for h, c, a in CUSTOMERS])
    write_lines(root / "bus" / "addresses" / "part-000.jsonl",
                [{"address_id": a, "street": s, "address_datetime": at(h)} for h, a, s in ADDRESSES])
    write_lines(root / "bus" / "sales" / "part-000.jsonl",
                [{"order_id": n, "item_id": 1, "bill_customer_id": "C1", "ship_customer_id": "C2",
                  "sale_datetime": at(h)} for n, h in enumerate(SALE_HOURS)])
    write_csv(root / "ref" / "items" / "items.csv", ITEM_FIELDS, [{"item_id": 1}])
    write_csv(root / "ref" / "promos" / "promos.csv", PROMO_FIELDS, [])
    run_job(root)
    return {order["order_id"]: order for order in read_orders(root / "out")}


@pytest.mark.parametrize("role, customer_id", [("bill_customer", "C1"), ("ship_customer", "C2")])
def test_each_sale_has_its_customers_address_as_of_the_sale(orders, role, customer_id):
    assert sorted(orders) == list(range(len(SALE_HOURS)))
    for order_id, hours in enumerate(SALE_HOURS):
        _, _, address_id = as_of(CUSTOMERS, customer_id, hours)
        _, _, street = as_of(ADDRESSES, address_id, hours)
        customer = orders[order_id][role]
        assert (customer["address_id"], customer["address"]["street"]) == (address_id, street), hours
        assert orders[order_id]["missing"] == []
