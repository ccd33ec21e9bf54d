"""The job's sinks in Flink SQL: the curated order documents (written by flink_app.documents, one
JSON line each, under their sale date), the dead letters, and the OpenSearch index."""

from __future__ import annotations

from flink_app.config import OpenSearchSettings


def _rolling(roll_interval_ms: int) -> str:
    """Part files closed at least every `roll_interval_ms`, to be committed by the next checkpoint.
    Without it a file stays in progress (hidden) until it reaches 128 MB or 30 minutes; the orders'
    partition commit closes a partition's file only until that partition is first committed (while
    sales of that date keep coming, the later files were seen waiting for the 30 minutes)."""
    return (
        f"'sink.rolling-policy.rollover-interval' = '{roll_interval_ms} ms',\n"
        f"  'sink.rolling-policy.check-interval' = '{roll_interval_ms} ms'"
    )


def _curated_table(document_type: str, options: str) -> str:
    return f"""CREATE TABLE curated_orders (document {document_type}, dt STRING) PARTITIONED BY (dt) WITH (
  'connector' = 'filesystem',
  {options}
)"""


def curated_sink_ddl(path: str, roll_interval_ms: int) -> str:
    """Order documents as JSON lines under dt=YYYY-MM-DD (the sale's UTC date), committed on checkpoints."""
    return _curated_table(
        "BYTES",
        f"""'path' = {sql_string(path)},
  'format' = 'raw',
  'sink.partition-commit.policy.kind' = 'success-file',
  {_rolling(roll_interval_ms)}""",
    )


def curated_source_ddl(path: str) -> str:
    """The curated orders read back as the table `curated_orders`, one JSON document per row."""
    return _curated_table("STRING", f"'path' = {sql_string(path)}, 'format' = 'raw'")


def dead_letter_sink_ddl(path: str, members: tuple[str, ...], roll_interval_ms: int) -> str:
    """Dead letters as JSON lines of `members` (stream, raw, reason, raw_base64), committed on
    checkpoints; `raw_base64` only when the record's bytes are not UTF-8 (`raw` then shows them as
    U+FFFD)."""
    columns = ", ".join(f"`{member}` STRING" for member in members)
    return f"""CREATE TABLE dead_letters ({columns}) WITH (
  'connector' = 'filesystem',
  'path' = {sql_string(path)},
  'format' = 'json',
  'json.encode.ignore-null-fields' = 'true',
  {_rolling(roll_interval_ms)}
)"""


def opensearch_sink_ddl(settings: OpenSearchSettings, dead_letter_path: str) -> str:
    """The order documents into OpenSearch (the helper's `opensearch-orders` connector), `_id` = line_id."""
    options = {
        "connector": "opensearch-orders",
        "url": settings.url,
        "index": settings.index,
        "dead-letter-path": dead_letter_path,
        "bulk.max-documents": str(settings.bulk_max_documents),
        "bulk.max-bytes": str(settings.bulk_max_bytes),
        "bulk.flush-interval": f"{settings.flush_interval_ms} ms",
        "max-attempts": str(settings.max_attempts),
        "bulk.max-in-flight": str(settings.max_in_flight_requests),
    }
    if settings.username is not None:  # with a password or the secret holding it (flink_app.config)
        options["username"] = settings.username
    if settings.password is not None:
        options["password"] = settings.password
    if settings.password_secret_arn is not None:
        options["password-secret-arn"] = settings.password_secret_arn
    if settings.sigv4_region is not None:
        options["sigv4.region"] = settings.sigv4_region
    return f"""CREATE TABLE opensearch_orders (line_id STRING, document BYTES) WITH (
  {_options(options)}
)"""


def _options(options: dict[str, str]) -> str:
    return ",\n  ".join(f"{sql_string(key)} = {sql_string(value)}" for key, value in options.items())


def sql_string(text: str) -> str:
    """`text` as a Flink SQL string literal (a quote inside doubled), e.g. for a path holding one."""
    return "'" + text.replace("'", "''") + "'"
