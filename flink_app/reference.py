"""The reference tables (docs/contract.md §2), items and promos, as in-memory snapshots for the sales path.

Each table lives in its own folder or s3:// prefix (by default <reference>/items/ and
<reference>/promos/, but a lake may keep items as CSV in its raw layer and promos as Parquet in its
clean layer), and each file is read by its extension, .csv (with a header row) or .parquet, unless
a format is forced. boto3's usual credentials and endpoint settings apply to S3. The job starts with
the snapshot the client reads; flink_app/reference_snapshots.py reads them again at every refresh.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path, PurePosixPath

import boto3
from botocore.exceptions import BotoCoreError, ClientError
import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)

ITEM_FIELDS = (
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
)
PROMO_FIELDS = ("promo_id", "cost", "response_target", "promo_name", "purpose", "promo_start_date", "promo_end_date")
TABLES = {"items": ("item_id", ITEM_FIELDS), "promos": ("promo_id", PROMO_FIELDS)}
INTEGER_FIELDS = {"item_id", "response_target"}
FORMATS = ("csv", "parquet")

Row = tuple  # the table's fields in contract order: integers as int, decimals as exact text


class ReferenceDataError(Exception):
    pass


@dataclass(frozen=True)
class ReferenceSource:
    """Where each table's files are (a folder or an s3:// prefix), and the one format to read
    (None: each file by its extension)."""

    items: str
    promos: str
    file_format: str | None = None


def load_table(location: str, table: str, file_format: str | None = None) -> dict[str, Row]:
    """The table's rows by key (as text), from every visible file in `location` of that format
    (None: the .csv or the .parquet files, each by its extension; a place holding both is an error)."""
    key, fields = TABLES[table]
    formats = (file_format,) if file_format else FORMATS
    files = _table_files(location, formats)
    place = f"{location.rstrip('/')}/"
    if not files:
        raise ReferenceDataError(f"table {table}: no {' or '.join(f'.{f}' for f in formats)} file in {place}")
    if len({name.rsplit(".", 1)[1] for name, _ in files}) > 1:  # two copies of the table, or two halves?
        raise ReferenceDataError(
            f"table {table}: {place} holds both .csv and .parquet files; set reference.format to the one to read"
        )
    rows: dict[str, Row] = {}
    for name, data in files:
        records = _read_csv(name, data, fields) if name.endswith(".csv") else _read_parquet(name, data, fields)
        for number, record in enumerate(records, start=1):
            row = tuple(_value(name, number, field, record.get(field)) for field in fields)
            rows[str(row[fields.index(key)])] = row
    return rows


def _visible(name: str, formats: tuple[str, ...]) -> bool:
    return name.endswith(tuple(f".{f}" for f in formats)) and not PurePosixPath(name).name.startswith((".", "_"))


def _table_files(location: str, formats: tuple[str, ...]) -> list[tuple[str, bytes]]:
    """(name, content) of the visible files of `formats` directly in `location`, in name order."""
    if not location.startswith("s3://"):
        folder = Path(location)
        files = (
            sorted(f for f in folder.glob("*") if f.is_file() and _visible(f.name, formats)) if folder.is_dir() else []
        )
        return [(str(f), f.read_bytes()) for f in files]
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    prefix = f"{prefix.strip('/')}/".lstrip("/")
    s3 = boto3.client("s3")
    keys = [
        obj["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for obj in page.get("Contents", [])
        if "/" not in obj["Key"][len(prefix) :] and _visible(obj["Key"], formats)
    ]
    return [(f"s3://{bucket}/{k}", s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in sorted(keys)]


def _read_csv(name: str, data: bytes, fields: tuple[str, ...]) -> list[dict]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ReferenceDataError(f"{name} is not UTF-8: invalid byte at offset {error.start}") from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        _check_columns(name, reader.fieldnames or [], fields)
        return list(reader)
    except csv.Error as error:
        raise ReferenceDataError(f"{name} is not valid CSV: {error}") from None


def _read_parquet(name: str, data: bytes, fields: tuple[str, ...]) -> list[dict]:
    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError) as error:
        raise ReferenceDataError(f"{name} is not a readable Parquet file: {error}") from None
    _check_columns(name, table.column_names, fields)
    return table.select(list(fields)).to_pylist()


def _check_columns(name: str, columns: Sequence[str], fields: tuple[str, ...]) -> None:
    absent = [f for f in fields if f not in columns]
    if absent:
        raise ReferenceDataError(f"{name} lacks column(s) {', '.join(absent)}")


def _value(file: str, row: int, name: str, value: object) -> object:
    if value is None or value == "":
        return None
    if name in INTEGER_FIELDS:
        try:
            return _integer(value)
        except (ValueError, OverflowError):
            raise ReferenceDataError(f"{file}, row {row}, column {name}: {value!r} is not an integer") from None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)  # decimals (CSV text or Parquet Decimal) as their exact text


def _integer(value: object) -> int:
    """CSV text or a Parquet integer as it is; a Parquet float or decimal only without a fraction (1.5
    is refused, not truncated)."""
    if isinstance(value, (float, Decimal)):
        if value != int(value):
            raise ValueError(value)
        return int(value)
    return int(str(value))


Snapshot = tuple[dict[str, Row], dict[str, Row]]  # (items, promos), each by key


def load_snapshot(source: ReferenceSource) -> Snapshot:
    return load_table(source.items, "items", source.file_format), load_table(
        source.promos, "promos", source.file_format
    )


class ReferenceRefresher:
    """Reads both tables again at each `refresh()`. One that fails (files gone, a column missing,
    unreadable) gives None, so that the last good snapshot stays in use, and says why in the log
    and `failed_refreshes`."""

    def __init__(self, source: ReferenceSource):
        self.source = source
        self.failed_refreshes = 0

    def refresh(self) -> Snapshot | None:
        try:
            items, promos = load_snapshot(self.source)
        except (
            OSError,
            ValueError,
            ReferenceDataError,
            BotoCoreError,
            ClientError,
        ) as error:  # pyarrow: OSError/ValueError
            self.failed_refreshes += 1
            log.warning("reference data refresh failed, keeping the last good snapshot: %s", error)
            return None
        log.info("reference data refreshed: %d items, %d promos", len(items), len(promos))
        return items, promos
