"""The job's copy of the stream contract (docs/contract.md §1): each stream's fields in contract order
with their kinds, the required ones, the field holding the event time, and the precision of the
order document's decimals (§3). The Java validator
(java/flink-job/src/main/java/.../ValidateRecords.java) checks records against these lists;
tests/test_flink_records.py holds them to events/schemas/, the machine-readable contract.
"""

from __future__ import annotations

# Field kinds: "str", "id" (a string of at least one character), "int", "decimal", "timestamp", "date".
CUSTOMER_FIELDS = {
    "customer_id": "id",
    "salutation": "str",
    "first_name": "str",
    "last_name": "str",
    "birth_country": "str",
    "email_address": "str",
    "address_id": "id",
    "gender": "str",
    "marital_status": "str",
    "education_status": "str",
    "purchase_estimate": "int",
    "credit_rating": "str",
    "buy_potential": "str",
    "vehicle_count": "int",
    "lower_bound": "int",
    "upper_bound": "int",
    "birth_date": "date",
    "customer_datetime": "timestamp",
}
ADDRESS_FIELDS = {
    "address_id": "id",
    "street": "str",
    "city": "str",
    "county": "str",
    "state": "str",
    "zip": "str",
    "country": "str",
    "gmt_offset": "decimal",
    "location_type": "str",
    "address_datetime": "timestamp",
}
MONEY_FIELDS = [
    "wholesale_cost",
    "list_price",
    "sales_price",
    "ext_discount_amt",
    "ext_sales_price",
    "ext_wholesale_cost",
    "ext_list_price",
    "ext_tax",
    "coupon_amt",
    "ext_ship_cost",
    "net_paid",
    "net_paid_inc_tax",
    "net_paid_inc_ship",
    "net_paid_inc_ship_tax",
    "net_profit",
]
SALE_FIELDS = {
    "order_id": "int",
    "item_id": "int",
    "quantity": "int",
    **{name: "decimal" for name in MONEY_FIELDS},
    "bill_customer_id": "id",
    "ship_customer_id": "id",
    "warehouse_id": "str",
    "promo_id": "str",
    "ship_delay": "str",
    "ship_mode": "str",
    "ship_carrier": "str",
    "sale_datetime": "timestamp",
}
FIELDS = {"customers": CUSTOMER_FIELDS, "addresses": ADDRESS_FIELDS, "sales": SALE_FIELDS}
REQUIRED = {
    "customers": ("customer_id", "address_id", "customer_datetime"),
    "addresses": ("address_id", "address_datetime"),
    "sales": ("order_id", "item_id", "bill_customer_id", "ship_customer_id", "sale_datetime"),
}
EVENT_TIME = {"customers": "customer_datetime", "addresses": "address_datetime", "sales": "sale_datetime"}

MONEY = (15, 2)  # (precision, scale) of the order document's money fields
GMT_OFFSET = (5, 2)


def decimal_digits(name: str) -> tuple[int, int]:
    """(precision, scale) of the decimal field `name` in the order document."""
    return GMT_OFFSET if name == "gmt_offset" else MONEY
