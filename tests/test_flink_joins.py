"""The as-of joins (docs/contract.md §4) where a customer's address is found through the addresses it
has named: a customer that moves away and back, an address shared by two customers, an address
version after the customer named it and one before; sales billed and shipped to different
customers and to the same one. The expected address of each sale is worked out here from the
records' times."""

from __future__ import annotations

import datetime as dt

import pytest

from flink_app.reference import ITEM_FIELDS, PROMO_FIELDS
from tests.support.job_output import read_orders
from tests.support.job_runs import run_job
from tests.test_flink_documents import write_csv, write_lines

START = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def at(hours: float) -> str:
    return (START + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


# (hours, customer_id, address_id): C1 moves from A1 to A2 and back; C2 stays at A1
CUSTOMERS = [(0, "C1", "A1"), (0, "C2", "A1"), (2, "C1", "A2"), (4, "C1", "A1")]
ADDRESSES = [
    (0, "A1", "first street"),
    (1, "A2", "second street"),
    (3, "A1", "third street"),
    (5, "A1", "fifth street"),
]
# (order_id, hours, bill customer, ship customer): each hour, every pair of the two customers
SALES = [
    (n, *sale)
    for n, sale in enumerate(
        (hours, bill, ship)
        for hours in (0.5, 1.5, 2.5, 3.5, 4.5, 5.5)
        for bill in ("C1", "C2")
        for ship in ("C1", "C2")
    )
]


def as_of(versions: list[tuple], key: str, hours: float) -> tuple | None:
    """The version of `key` (second field) with the greatest time (first field) at or before `hours`."""
    earlier = [version for version in versions if version[1] == key and version[0] <= hours]
    return max(earlier, key=lambda version: version[0]) if earlier else None


@pytest.fixture(scope="module")
def orders(tmp_path_factory) -> dict[int, dict]:
    root = tmp_path_factory.mktemp("joins")
    write_lines(
        root / "bus" / "customers" / "part-000.jsonl",
        [{"customer_id": c, "address_id": a, "customer_datetime": at(h)} for h, c, a in CUSTOMERS],
    )
    write_lines(
        root / "bus" / "addresses" / "part-000.jsonl",
        [{"address_id": a, "street": s, "address_datetime": at(h)} for h, a, s in ADDRESSES],
    )
    write_lines(
        root / "bus" / "sales" / "part-000.jsonl",
        [
            {
                "order_id": n,
                "item_id": 1,
                "bill_customer_id": bill,
                "ship_customer_id": ship,
                "sale_datetime": at(hours),
            }
            for n, hours, bill, ship in SALES
        ],
    )
    write_csv(root / "ref" / "items" / "items.csv", ITEM_FIELDS, [{"item_id": 1}])
    write_csv(root / "ref" / "promos" / "promos.csv", PROMO_FIELDS, [])
    run_job(root)
    return {order["order_id"]: order for order in read_orders(root / "out")}


def test_each_sale_has_its_customers_address_as_of_the_sale(orders):
    assert sorted(orders) == [order_id for order_id, *_ in SALES]
    for order_id, hours, *customer_ids in SALES:
        for role, customer_id in zip(("bill_customer", "ship_customer"), customer_ids):
            _, _, address_id = as_of(CUSTOMERS, customer_id, hours)
            _, _, street = as_of(ADDRESSES, address_id, hours)
            customer = orders[order_id][role]
            assert (customer["customer_id"], customer["address_id"], customer["address"]["street"]) == (
                customer_id,
                address_id,
                street,
            ), (order_id, role)
        assert orders[order_id]["missing"] == []
