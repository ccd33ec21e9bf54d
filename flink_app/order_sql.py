"""The Flink SQL of the job: the order document's sink, the dead letters' sink, and the query that
makes each joined sale line (its customers and their addresses as of the sale, appended by the
as-of joins as `bc_`, `ba_`, `sc_` and `sa_` columns) into the order document (CONTRACT.md §3-4).

Written out from the contract's field lists so that the document always has every field; read
`orders_query()`'s output to see the SQL itself.
"""

from __future__ import annotations

from flink_app.config import OpenSearchSettings
from flink_app.records import FIELDS
from flink_app.reference import ITEM_FIELDS, PROMO_FIELDS

MONEY = (15, 2)  # (precision, scale) of the document's money fields
GMT_OFFSET = (5, 2)
MONEY_TYPE = "DECIMAL(%d, %d)" % MONEY
GMT_OFFSET_TYPE = "DECIMAL(%d, %d)" % GMT_OFFSET
LOCATION_TYPE = "ROW<lat DOUBLE, lon DOUBLE>"
GEOCODE_TYPE = "ROW<status STRING, `precision` STRING, provider STRING>"


def decimal_digits(name: str) -> tuple[int, int]:
    """(precision, scale) of the stream's decimal field `name` in the order document."""
    return GMT_OFFSET if name == "gmt_offset" else MONEY


def _sql_type(name: str, kind: str) -> str:
    if kind == "int":
        return "BIGINT"
    if kind == "decimal":
        return GMT_OFFSET_TYPE if name == "gmt_offset" else MONEY_TYPE
    return "STRING"


def _fields(names_and_types: list[tuple[str, str]]) -> str:
    return ", ".join(f"`{name}` {sql_type}" for name, sql_type in names_and_types)


def _stream_fields(stream: str) -> list[tuple[str, str]]:
    return [(name, _sql_type(name, kind)) for name, kind in FIELDS[stream].items()]


ADDRESS_TYPE = f"ROW<{_fields(_stream_fields('addresses') + [('location', LOCATION_TYPE), ('geocode', GEOCODE_TYPE)])}>"
CUSTOMER_TYPE = f"ROW<{_fields(_stream_fields('customers') + [('address', ADDRESS_TYPE)])}>"
ITEM_TYPE = f"ROW<{_fields([(f, 'BIGINT' if f == 'item_id' else 'STRING') for f in ITEM_FIELDS])}>"
PROMO_TYPE = f"ROW<{_fields([(f, {'cost': MONEY_TYPE, 'response_target': 'BIGINT'}.get(f, 'STRING')) for f in PROMO_FIELDS])}>"
ORDER_COLUMNS = ([("line_id", "STRING")] + _stream_fields("sales")
                 + [("bill_customer", CUSTOMER_TYPE), ("ship_customer", CUSTOMER_TYPE), ("item", ITEM_TYPE),
                    ("promo", PROMO_TYPE), ("missing", "ARRAY<STRING>")])


def _rolling(roll_interval_ms: int) -> str:
    """Part files closed at least every `roll_interval_ms`, to be committed by the next checkpoint.
    Without it a file stays in progress (hidden) until it reaches 128 MB or 30 minutes; the orders'
    partition commit closes a partition's file only until that partition is first committed (while
    sales of that date keep coming, the later files were seen waiting for the 30 minutes)."""
    return (f"'sink.rolling-policy.rollover-interval' = '{roll_interval_ms} ms',\n"
            f"  'sink.rolling-policy.check-interval' = '{roll_interval_ms} ms'")


def _curated_table(options: str) -> str:
    return f"""CREATE TABLE curated_orders (
  {_fields(ORDER_COLUMNS)},
  dt STRING
) PARTITIONED BY (dt) WITH (
  {options}
)"""


def curated_sink_ddl(path: str, roll_interval_ms: int) -> str:
    """Order documents as JSON lines under dt=YYYY-MM-DD (the sale's UTC date), committed on checkpoints."""
    return _curated_table(f"""'connector' = 'filesystem',
  'path' = '{path}',
  'format' = 'json-lines',
  'sink.partition-commit.policy.kind' = 'success-file',
  {_rolling(roll_interval_ms)}""")


def curated_source_ddl(path: str) -> str:
    """The curated orders read back as the table `curated_orders` (Flink's `json` format reads what
    `json-lines` writes)."""
    return _curated_table(f"'connector' = 'filesystem', 'path' = '{path}', 'format' = 'json'")


def dead_letter_sink_ddl(path: str, roll_interval_ms: int) -> str:
    """Dead letters as JSON lines, committed on checkpoints."""
    return f"""CREATE TABLE dead_letters (`stream` STRING, `raw` STRING, reason STRING) WITH (
  'connector' = 'filesystem',
  'path' = '{path}',
  'format' = 'json-lines',
  {_rolling(roll_interval_ms)}
)"""


def _cast(column: str, name: str, kind: str) -> str:
    return f"CAST({column} AS {_sql_type(name, kind)})" if kind == "decimal" else column


def _customer(customer: str, address: str) -> str:
    """The customer version with its address version nested, or NULL when there is none; `customer`
    and `address` are the prefixes of the joined versions' columns."""
    address_fields = ", ".join(_cast(f"s.`{address}_{n}`", n, k) for n, k in FIELDS["addresses"].items())
    location = (f"CASE WHEN s.{address}_location_lat IS NULL THEN CAST(NULL AS {LOCATION_TYPE}) "
                f"ELSE ROW(s.{address}_location_lat, s.{address}_location_lon) END")
    geocode = f"ROW(s.{address}_geocode_status, s.{address}_geocode_precision, s.{address}_geocode_provider)"
    nested_address = f"CASE WHEN s.{address}_address_id IS NULL THEN NULL ELSE ROW({address_fields}, {location}, {geocode}) END"
    customer_fields = ", ".join(f"s.`{customer}_{n}`" for n in FIELDS["customers"])
    return f"CASE WHEN s.{customer}_customer_id IS NULL THEN NULL ELSE ROW({customer_fields}, {nested_address}) END"


def _reference(prefix: str, fields: tuple[str, ...], key: str) -> str:
    values = ", ".join(f"CAST(s.{prefix}_{f} AS {MONEY_TYPE})" if f == "cost" else f"s.{prefix}_{f}" for f in fields)
    return f"CASE WHEN s.{prefix}_{key} IS NULL THEN NULL ELSE ROW({values}) END"


def opensearch_sink_ddl(settings: OpenSearchSettings, dead_letter_path: str) -> str:
    """The order documents into OpenSearch (the helper's `opensearch-orders` connector), `_id` = line_id."""
    options = {"connector": "opensearch-orders", "url": settings.url, "index": settings.index,
               "dead-letter-path": dead_letter_path, "format": "json-lines",
               "bulk.max-documents": str(settings.bulk_max_documents), "bulk.max-bytes": str(settings.bulk_max_bytes),
               "bulk.flush-interval": f"{settings.flush_interval_ms} ms", "max-attempts": str(settings.max_attempts)}
    if settings.username is not None:
        options |= {"username": settings.username, "password": settings.password}
    if settings.sigv4_region is not None:
        options["sigv4.region"] = settings.sigv4_region
    return f"""CREATE TABLE opensearch_orders (
  {_fields(ORDER_COLUMNS)}
) WITH (
  {_options(options)}
)"""


def _options(options: dict[str, str]) -> str:
    return ",\n  ".join(f"'{key}' = '{value.replace(chr(39), chr(39) * 2)}'" for key, value in options.items())


def orders_query() -> str:
    """One document per (deduplicated) sale line, its customers and addresses as of the sale, with
    `dt`, its partition."""
    sale_fields = ",\n  ".join(f"{_cast(f's.`{n}`', n, k)} AS `{n}`" for n, k in FIELDS["sales"].items())
    return f"""SELECT
  CONCAT(CAST(s.order_id AS STRING), '-', CAST(s.item_id AS STRING)) AS line_id,
  {sale_fields},
  {_customer('bc', 'ba')} AS bill_customer,
  {_customer('sc', 'sa')} AS ship_customer,
  {_reference('item', ITEM_FIELDS, 'item_id')} AS item,
  {_reference('promo', PROMO_FIELDS, 'promo_id')} AS promo,
  ARRAY_REMOVE(ARRAY[
    CASE WHEN s.bc_customer_id IS NULL THEN 'bill_customer' END,
    CASE WHEN s.bc_customer_id IS NOT NULL AND s.ba_address_id IS NULL THEN 'bill_customer.address' END,
    CASE WHEN s.sc_customer_id IS NULL THEN 'ship_customer' END,
    CASE WHEN s.sc_customer_id IS NOT NULL AND s.sa_address_id IS NULL THEN 'ship_customer.address' END,
    CASE WHEN s.item_item_id IS NULL THEN 'item' END,
    CASE WHEN s.promo_id IS NOT NULL AND s.promo_promo_id IS NULL THEN 'promo' END
  ], CAST(NULL AS STRING)) AS missing,
  DATE_FORMAT(s.ts, 'yyyy-MM-dd') AS dt
FROM joined_sales AS s"""
