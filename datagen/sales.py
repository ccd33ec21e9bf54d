"""Sale lines in event-time order, with TPC-DS-consistent money computed in integer cents."""

from __future__ import annotations

import bisect
import random
from collections import Counter
from collections.abc import Iterator

from datagen.clock import iso
from datagen.config import GeneratorConfig
from datagen.reference import promo_id
from datagen.world import Event, World, customer_id

LINES_PER_ORDER = [1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5]
WAREHOUSES = [f"W{n:02d}" for n in range(1, 16)]
SHIP_DELAYS = ["OVERNIGHT", "TWO DAY", "EXPRESS", "REGULAR", "LIBRARY"]
SHIP_MODES = ["AIR", "SURFACE", "SEA"]
SHIP_CARRIERS = ["UPS", "FEDEX", "USPS", "DHL", "LATVIAN", "ZOUROS", "MSC", "GREAT EASTERN"]
SAME_SHIP_CUSTOMER = 0.85
PROMO_SHARE = 0.3


def cents(amount: int) -> str:
    """Integer cents as an exact decimal string: 1234 -> "12.34", -5 -> "-0.05"."""
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 100)
    return f"{sign}{whole}.{frac:02d}"


def line_amounts(rng: random.Random, quantity: int, with_promo: bool) -> dict[str, str]:
    """One line's money, every derived amount computed from the unit prices as TPC-DS defines it."""
    wholesale = rng.randint(100, 10_000)
    list_price = wholesale * (100 + rng.randint(0, 200)) // 100
    sales_price = list_price * (100 - rng.randint(0, 90)) // 100
    ext_sales = quantity * sales_price
    ext_list = quantity * list_price
    ext_wholesale = quantity * wholesale
    ext_tax = (ext_sales * rng.randint(0, 900) + 5_000) // 10_000  # 0-9 %, half up
    coupon = ext_sales * rng.randint(0, 30) // 100 if with_promo else 0
    ship_cost = ext_list * rng.randint(0, 50) // 1_000  # 0-5 % of the list value
    net_paid = ext_sales - coupon
    return {
        "wholesale_cost": cents(wholesale),
        "list_price": cents(list_price),
        "sales_price": cents(sales_price),
        "ext_discount_amt": cents(ext_list - ext_sales),
        "ext_sales_price": cents(ext_sales),
        "ext_wholesale_cost": cents(ext_wholesale),
        "ext_list_price": cents(ext_list),
        "ext_tax": cents(ext_tax),
        "coupon_amt": cents(coupon),
        "ext_ship_cost": cents(ship_cost),
        "net_paid": cents(net_paid),
        "net_paid_inc_tax": cents(net_paid + ext_tax),
        "net_paid_inc_ship": cents(net_paid + ship_cost),
        "net_paid_inc_ship_tax": cents(net_paid + ship_cost + ext_tax),
        "net_profit": cents(net_paid - ext_wholesale),
    }


def sale_events(cfg: GeneratorConfig, world: World, rng: random.Random, counts: Counter) -> Iterator[Event]:
    """`cfg.sales` sale lines spread evenly over the period, each order by customers that exist by then."""
    realities = cfg.realities
    span = cfg.end_ms - cfg.start_ms
    item_ids = range(1, cfg.items + 1)
    produced = 0
    order_id = 0
    while produced < cfg.sales:
        order_id += 1
        lines = min(rng.choice(LINES_PER_ORDER), cfg.sales - produced, cfg.items)
        at = cfg.start_ms + int(span * (produced + rng.random()) // cfg.sales)
        existing = max(1, bisect.bisect_left(world.creation_ms, at))
        bill = world.ids_by_creation[rng.randrange(existing)]
        ship = bill if rng.random() < SAME_SHIP_CUSTOMER else world.ids_by_creation[rng.randrange(existing)]
        if rng.random() < realities.orphans:
            orphan = customer_id(cfg.customers + 1 + counts["orphan_orders"])
            bill, ship = orphan, orphan if ship == bill else ship
            counts["orphan_orders"] += 1
            counts["orphan_sale_lines"] += lines
        order_promo = promo_id(rng.randint(1, cfg.promos)) if rng.random() < PROMO_SHARE else None
        shipping = {
            "warehouse_id": rng.choice(WAREHOUSES),
            "ship_delay": rng.choice(SHIP_DELAYS),
            "ship_mode": rng.choice(SHIP_MODES),
            "ship_carrier": rng.choice(SHIP_CARRIERS),
        }
        sale_datetime = iso(at)
        for position, item_id in enumerate(rng.sample(item_ids, lines)):
            line_promo = order_promo
            if rng.random() < realities.unknown_references:
                if rng.random() < 0.5:
                    item_id = cfg.items + 1 + position  # not in the items table, still unique in the order
                    counts["unknown_items"] += 1
                else:
                    line_promo = promo_id(cfg.promos + 1 + rng.randrange(1000))
                    counts["unknown_promos"] += 1
            if line_promo is None:
                counts["sale_lines_without_promo"] += 1
            quantity = rng.randint(1, 10)
            record = {
                "order_id": order_id,
                "item_id": item_id,
                "quantity": quantity,
                **line_amounts(rng, quantity, line_promo is not None),
                "bill_customer_id": bill,
                "ship_customer_id": ship,
                "warehouse_id": shipping["warehouse_id"],
                "promo_id": line_promo,
                "ship_delay": shipping["ship_delay"],
                "ship_mode": shipping["ship_mode"],
                "ship_carrier": shipping["ship_carrier"],
                "sale_datetime": sale_datetime,
            }
            yield at, str(order_id), record
        produced += lines
    counts["orders"] = order_id
