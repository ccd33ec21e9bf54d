"""The reference tables (docs/contract.md §2): items and promos, as CSV (raw layer) and Parquet (clean layer)."""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

CATEGORIES = {
    "Books": ["fiction", "history", "cooking", "travel", "science", "self-help"],
    "Electronics": ["cameras", "audio", "televisions", "computers", "wireless", "gaming"],
    "Home": ["furniture", "kids", "bedding", "decor", "lighting", "flatware"],
    "Jewelry": ["rings", "bracelets", "earrings", "watches", "diamonds", "gold"],
    "Men": ["shirts", "pants", "accessories", "sports-apparel"],
    "Women": ["dresses", "maternity", "swimwear", "fragrances"],
    "Children": ["infants", "toddlers", "school-uniforms", "newborn"],
    "Shoes": ["athletic", "kids", "mens", "womens"],
    "Sports": ["camping", "fishing", "golf", "fitness", "outdoor", "pools"],
    "Music": ["classical", "country", "pop", "rock"],
}
BRAND_STEMS = ["amalg", "edu pack", "export", "import", "scholar", "univ", "brand", "corp", "maxi", "namel"]
BRAND_KINDS = ["importo", "exporti", "amalg", "scholar", "univ", "corp", "brand", "edu pack", "maxi", "nameless"]
COLORS = ["red", "blue", "green", "black", "white", "ivory", "navy", "olive", "plum", "salmon", "tan", "khaki"]
SIZES = ["petite", "small", "medium", "large", "extra large", "economy", "N/A"]
UNITS = ["Each", "Dozen", "Case", "Box", "Pallet", "Gross", "Bundle", "Carton", "Pound", "Ounce"]
ADJECTIVES = ["Classic", "Deluxe", "Essential", "Premium", "Compact", "Ultra", "Vintage", "Smart", "Eco", "Pro"]
PROMO_PURPOSES = ["Unknown", "Seasonal", "Clearance", "Loyalty", "Launch", "Holiday"]
PROMO_WORDS = ["able", "ought", "pri", "ese", "anti", "cally", "eing", "bar", "n st", "ation"]

ITEM_FIELDS = [
    "item_id",
    "product_name",
    "item_desc",
    "brand",
    "class",
    "category",
    "manufact",
    "size",
    "color",
    "units",
    "container",
]
# The clean layer's types; the CSV columns are the same names in the same order.
PARQUET_SCHEMAS = {
    "items": pa.schema([(name, pa.int64() if name == "item_id" else pa.string()) for name in ITEM_FIELDS]),
    "promos": pa.schema(
        [
            ("promo_id", pa.string()),
            ("cost", pa.decimal128(15, 2)),
            ("response_target", pa.int32()),
            ("promo_name", pa.string()),
            ("purpose", pa.string()),
            ("promo_start_date", pa.date32()),
            ("promo_end_date", pa.date32()),
        ]
    ),
}


def promo_id(number: int) -> str:
    return f"P{number:05d}"


def make_items(rng: random.Random, count: int) -> list[dict]:
    items = []
    for item_id in range(1, count + 1):
        category = rng.choice(list(CATEGORIES))
        klass = rng.choice(CATEGORIES[category])
        brand = f"{rng.choice(BRAND_KINDS)}{rng.choice(BRAND_STEMS)} #{rng.randint(1, 20)}"
        color = rng.choice(COLORS)
        name = f"{rng.choice(ADJECTIVES)} {color} {klass.replace('-', ' ')}"
        items.append(
            {
                "item_id": item_id,
                "product_name": name,
                "item_desc": f"{name} by {brand}, {category.lower()} range",
                "brand": brand,
                "class": klass,
                "category": category,
                "manufact": f"manufact{rng.randint(1, 1000)}",
                "size": rng.choice(SIZES),
                "color": color,
                "units": rng.choice(UNITS),
                "container": "Unknown",
            }
        )
    return items


def make_promos(rng: random.Random, count: int, start: dt.date, end: dt.date) -> list[dict]:
    """Promotions whose validity windows cover the simulated period."""
    span = max((end - start).days, 1)
    promos = []
    for number in range(1, count + 1):
        first = start + dt.timedelta(days=rng.randint(-30, span))
        promos.append(
            {
                "promo_id": promo_id(number),
                "cost": Decimal(rng.randint(10000, 100000)).scaleb(-2),
                "response_target": 1,
                "promo_name": rng.choice(PROMO_WORDS) + rng.choice(PROMO_WORDS),
                "purpose": rng.choice(PROMO_PURPOSES),
                "promo_start_date": first,
                "promo_end_date": first + dt.timedelta(days=rng.randint(7, 60)),
            }
        )
    return promos


def write_table(root: Path, table: str, rows: list[dict], formats: list[str]) -> list[Path]:
    """Writes <root>/<table>/<table>.csv and/or .parquet, each atomically (hidden file, then rename)."""
    schema = PARQUET_SCHEMAS[table]
    folder = root / table
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        final = folder / f"{table}.{fmt}"
        hidden = folder / f".{table}.{fmt}.tmp"
        if fmt == "csv":
            _write_csv(hidden, rows, schema.names)
        else:
            pq.write_table(pa.Table.from_pylist(rows, schema=schema), hidden)
        os.replace(hidden, final)
        written.append(final)
    return written


def _write_csv(path: Path, rows: list[dict], fields: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()})
