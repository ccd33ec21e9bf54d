"""The reference tables (CONTRACT.md §2), items and promos, as in-memory snapshots for the sales path.

Read from CSV (raw layer) or Parquet (clean layer) files in <reference>/<table>/, where <reference>
is a local folder or an s3:// URI (boto3's usual credentials and endpoint settings apply).
The job starts with the snapshot the client reads; flink_app/reference_snapshots.py reads them
again at every refresh.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from pathlib import Path, PurePosixPath

import boto3
from botocore.exceptions import BotoCoreError, ClientError
import pyarrow.parquet as pq

log = logging.getLogger(__name__)

ITEM_FIELDS = ("item_id", "product_name", "item_desc", "brand", "class", "category", "manufact", "size",
               "color", "units", "container")
PROMO_FIELDS = ("promo_id", "cost", "response_target", "promo_name", "purpose", "promo_start_date",
                "promo_end_date")
TABLES = {"items": ("item_id", ITEM_FIELDS), "promos": ("promo_id", PROMO_FIELDS)}
INTEGER_FIELDS = {"item_id", "response_target"}
FORMATS = ("csv", "parquet")

Row = tuple  # the table's fields in contract order: integers as int, decimals as exact text


class ReferenceError(Exception):
    pass


def load_table(location: str, table: str, file_format: str) -> dict[str, Row]:
    """The table's rows by key (as text), from every visible file of that format."""
    key, fields = TABLES[table]
    files = _table_files(location, table, file_format)
    if not files:
        raise ReferenceError(f"no {file_format} files in {location.rstrip('/')}/{table}/")
    rows: dict[str, Row] = {}
    for name, data in files:
        records = _read_csv(name, data, fields) if file_format == "csv" else _read_parquet(name, data, fields)
        for record in records:
            row = tuple(_value(field, record.get(field)) for field in fields)
            rows[str(row[fields.index(key)])] = row
    return rows


def _visible(name: str, file_format: str) -> bool:
    return name.endswith(f".{file_format}") and not PurePosixPath(name).name.startswith((".", "_"))


def _table_files(location: str, table: str, file_format: str) -> list[tuple[str, bytes]]:
    """(name, content) of the table's files in name order."""
    if not location.startswith("s3://"):
        folder = Path(location) / table
        return [(str(f), f.read_bytes()) for f in sorted(folder.glob(f"*.{file_format}")) if _visible(f.name, file_format)]
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    prefix = f"{prefix.strip('/')}/{table}/".lstrip("/")
    s3 = boto3.client("s3")
    keys = [obj["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for obj in page.get("Contents", []) if _visible(obj["Key"], file_format)]
    return [(f"s3://{bucket}/{k}", s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in sorted(keys)]


def _read_csv(name: str, data: bytes, fields: tuple[str, ...]) -> list[dict]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    _check_columns(name, reader.fieldnames or [], fields)
    return list(reader)


def _read_parquet(name: str, data: bytes, fields: tuple[str, ...]) -> list[dict]:
    table = pq.read_table(io.BytesIO(data))
    _check_columns(name, table.column_names, fields)
    return table.select(list(fields)).to_pylist()


def _check_columns(name: str, columns: list[str], fields: tuple[str, ...]) -> None:
    absent = [f for f in fields if f not in columns]
    if absent:
        raise ReferenceError(f"{name} lacks column(s) {', '.join(absent)}")


def _value(name: str, value: object) -> object:
    if value is None or value == "":
        return None
    if name in INTEGER_FIELDS:
        return int(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)  # decimals (CSV text or Parquet Decimal) as their exact text


Snapshot = tuple[dict[str, Row], dict[str, Row]]  # (items, promos), each by key


def load_snapshot(location: str, file_format: str) -> Snapshot:
    return load_table(location, "items", file_format), load_table(location, "promos", file_format)


class ReferenceRefresher:
    """Reads both tables again at each `refresh()`. One that fails (files gone, a column missing,
    unreadable) gives None, so that the last good snapshot stays in use, and says why in the log
    and `failed_refreshes`."""

    def __init__(self, location: str, file_format: str):
        self.location, self.file_format = location, file_format
        self.failed_refreshes = 0

    def refresh(self) -> Snapshot | None:
        try:
            items, promos = load_snapshot(self.location, self.file_format)
        except (OSError, ValueError, ReferenceError, BotoCoreError, ClientError) as error:  # pyarrow: OSError/ValueError
            self.failed_refreshes += 1
            log.warning("reference data refresh failed, keeping the last good snapshot: %s", error)
            return None
        log.info("reference data refreshed: %d items, %d promos", len(items), len(promos))
        return items, promos
