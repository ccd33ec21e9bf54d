"""The one seam between the job's Python and its Java (the Maven module java/, built by
scripts/setup.sh): every Java operator and connector the job uses, as a Python function taking
Python values and PyFlink streams. No other module touches py4j or a stream's Java object.

Java does what must not be Python on the hot path (validation, encoding, dedup, the joins, the
sinks) or what Flink SQL lacks; Python keeps the contract (flink_app/records.py), the reference
data, the geocoder call and the job's shape (flink_app/pipeline.py)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pyflink.common.typeinfo import TypeInformation
from pyflink.datastream import DataStream, StreamExecutionEnvironment
from pyflink.datastream.connectors.file_system import FileEnumeratorProvider, FileSplitAssignerProvider, StreamFormat
from pyflink.java_gateway import get_gateway
from pyflink.util.java_utils import to_jarray

from flink_app.config import KinesisSettings
from flink_app.geocoder_client import GeocoderSettings
from flink_app.records import EVENT_TIME, FIELDS, REQUIRED, decimal_digits

HELPER_JAR = Path(__file__).resolve().parent.parent / "java" / "flink-job" / "target" / "streaming-orders-flink.jar"
PLUGINS = HELPER_JAR.parent / "plugins"  # Flink filesystem plugins for local runs (the Maven build copies them)


class MissingHelperJar(Exception):
    pass


def add_helper_jar(env: StreamExecutionEnvironment) -> None:
    """Puts the helper on the job's classpath and the client's, so Python can build its objects."""
    if not HELPER_JAR.is_file():
        raise MissingHelperJar(f"{HELPER_JAR} is missing: run scripts/setup.sh (or `make setup`) to build it")
    jvm = get_gateway().jvm
    config = jvm.org.apache.flink.python.util.PythonConfigUtil.getEnvironmentConfig(env._j_stream_execution_environment)
    if HELPER_JAR.as_uri() not in (
        config.getString(jvm.org.apache.flink.configuration.PipelineOptions.JARS.key(), None) or ""
    ):
        env.add_jars(HELPER_JAR.as_uri())  # once, though both the bus source and the pipeline need it


def initialize_local_filesystems(settings: dict[str, str]) -> None:
    """Flink's filesystems in this process (a local run; MSF initialises its own): the plugins the
    Maven build copied, S3 among them, configured by `settings` (flink_app.aws_endpoints)."""
    helper().LocalFileSystems.initialize(str(PLUGINS), _java_map(settings))


def helper():
    """The helper's package in the client JVM (after `add_helper_jar`)."""
    return get_gateway().jvm.streamingorders.flink


@dataclass(frozen=True)
class Columns:
    """The names of the columns the Java operators add (their one definition is Columns.java)."""

    line_id: str
    document: str
    dt: str
    dead_letter: tuple[str, ...]  # a dead letter's members, in order


@cache
def columns() -> Columns:
    java = helper().Columns
    return Columns(java.LINE_ID, java.DOCUMENT, java.DT, (java.STREAM, java.RAW, java.REASON, java.RAW_BASE64))


# The bus (flink_app/bus.py)


def json_lines_format() -> StreamFormat:
    """A file's records: its lines (LF or CRLF ends one) as bytes."""
    return StreamFormat(helper().JsonLinesFormat())


def record_files(folder: Path) -> FileEnumeratorProvider:
    """The `*.jsonl` files directly in `folder` that are not hidden (`.` or `_` first)."""
    return FileEnumeratorProvider(helper().JsonLinesFiles.provider(str(folder)))


def name_order() -> FileSplitAssignerProvider:
    """Files to the reader in name order."""
    return FileSplitAssignerProvider(helper().NameOrderSplitAssigner.provider())


def kinesis_records(
    env: StreamExecutionEnvironment, stream: str, settings: KinesisSettings, validator, bound_ms: int, idle_ms: int
) -> DataStream:
    """`stream`'s records as sent (bytes) from its Kinesis data stream, timestamped by `validator`'s
    event time, watermarks `bound_ms` behind each shard's newest record; a shard idle for `idle_ms`
    stops holding the others back (docs/kinesis.md).

    The helper's KinesisShardsSource is a FLIP-27 source that polls each shard with GetRecords (AWS
    SDK for Java v2). Each record comes in as its raw payload, so that validation sees exactly what
    was sent, and its event time is assigned inside the source, per shard: a reader holds several
    shards, and a shard far behind the others must hold the watermark back rather than have its
    records declared late. The AWS connector for Flink 2.x (`flink-connector-aws-kinesis-streams`
    6.x, whose `KinesisStreamsSource` does the same) is not on the Maven repository the project's
    machines reach, so it could be neither built against nor run here."""
    timestamp = None if settings.initial_timestamp_ms is None else str(settings.initial_timestamp_ms)
    java_settings = helper().kinesis.KinesisSettings(
        settings.stream_arns[stream],
        settings.region,
        settings.endpoint,
        settings.initial_position,
        timestamp,
        settings.records_per_call,
        settings.poll_interval_ms,
        settings.shard_discovery_ms,
    )
    return DataStream(
        helper().kinesis.KinesisStreams.read(
            env._j_stream_execution_environment, java_settings, stream, validator, bound_ms, idle_ms
        )
    )


# Validation and event time


def record_validator(stream: str):
    """The Java validator (ValidateRecords) of `stream`'s records, configured from the job's copy of
    the contract (flink_app/records.py): a valid record becomes a row of the stream's fields and
    `event_ms`, a bad one a dead letter with its reason. Decimals must fit the document's precision
    once rounded to its scale (the document would otherwise hold null). Its `parse(bytes)` can be
    called from Python.

    Java, not Python: every record passes here (Python cost a Beam round trip per record, the job's
    bottleneck), and Flink SQL's JSON functions fail the job on a wrong type or drop the record
    (docs/design.md)."""
    fields = FIELDS[stream]
    digits = [decimal_digits(name) if kind == "decimal" else (0, 0) for name, kind in fields.items()]
    return helper().ValidateRecords(
        stream,
        _strings(fields),
        _strings(fields.values()),
        _strings(REQUIRED[stream]),
        EVENT_TIME[stream],
        _ints(p for p, _ in digits),
        _ints(s for _, s in digits),
    )


def validated(raw: DataStream, validator) -> tuple[DataStream, DataStream]:
    """(the valid rows, the dead letters) of `raw`, the stream's records as bytes, by `validator`
    (`record_validator`)."""
    rows = helper().ValidateRecords.of(raw._j_data_stream, validator)
    return DataStream(rows), DataStream(rows.getSideOutput(helper().ValidateRecords.DEAD_LETTERS))


def with_event_time(rows: DataStream, bound_ms: int, idle_ms: int) -> DataStream:
    """Timestamps from the validated rows' `event_ms`, watermarks `bound_ms` behind the newest."""
    return DataStream(helper().EventTime.assign(rows._j_data_stream, bound_ms, idle_ms))


# Geocoding (flink_app/geocoding.py)


def partition_by_field(rows: DataStream, field: str) -> DataStream:
    """Every row with the same value of `field` to the same task (no keyed state)."""
    return DataStream(helper().ByField.partition(rows._j_data_stream, field))


def address_batches(addresses: DataStream, place_fields: tuple[str, ...], size: int, max_delay_ms: int) -> DataStream:
    """`addresses` in batches of up to `size` (rows, places: each address's `place_fields` as JSON),
    each out at most `max_delay_ms` after its first address and before any watermark (AddressBatches)."""
    return DataStream(helper().AddressBatches.of(addresses._j_data_stream, _strings(place_fields), size, max_delay_ms))


def geocode_batches(batches: DataStream, settings: GeocoderSettings) -> DataStream:
    """`batches` (rows, places) geocoded in the JVM (GeocodeBatches: Async I/O, ordered), as (rows, geocodes)."""
    return DataStream(helper().GeocodeBatches.of(batches._j_data_stream, json.dumps(dataclasses.asdict(settings))))


def geocoded_addresses(batches: DataStream, address_type: TypeInformation, output_type: TypeInformation) -> DataStream:
    """The addresses of geocoded `batches` (rows, geocodes), one by one with their geocoding columns."""
    return DataStream(
        helper().GeocodedAddresses.of(
            batches._j_data_stream, address_type.get_java_type_info(), output_type.get_java_type_info()
        )
    )


def not_geocoded(addresses: DataStream, output_type: TypeInformation) -> DataStream:
    """The addresses with the geocoding columns of `output_type` set to `disabled` and no location."""
    return DataStream(helper().NotGeocoded.of(addresses._j_data_stream, output_type.get_java_type_info()))


# The order document's parts (flink_app/documents.py)


def encoded(
    rows: DataStream, stream: str, keep: tuple[str, ...], geocode_columns: list[str] | None = None
) -> DataStream:
    """`stream`'s rows as their fields `keep`, `event_ms` and `document`, their part of the order
    document (EncodeDocument); `geocode_columns` name an address's geocoding columns."""
    return DataStream(
        helper().EncodeDocument.of(
            rows._j_data_stream,
            _document_fields(FIELDS[stream]),
            _strings(keep),
            None if geocode_columns is None else _strings(geocode_columns),
            stream,
        )
    )


def first_deliveries_with_reference_data(
    sales: DataStream,
    dedup_window_ms: int,
    first_snapshot_json: str,
    snapshots: DataStream,
    item_kinds: dict[str, str],
    promo_kinds: dict[str, str],
) -> DataStream:
    """Each sale line once (redeliveries within `dedup_window_ms` of the first are dropped), with its
    item and promo as `item_document` and `promo_document`, their fields of `item_kinds` and
    `promo_kinds` encoded: from the first snapshot (JSON), then from the latest of `snapshots`."""
    return DataStream(
        helper().WithReferenceData.of(
            sales._j_data_stream,
            dedup_window_ms,
            snapshots._j_data_stream,
            first_snapshot_json,
            _document_fields(item_kinds),
            _document_fields(promo_kinds),
        )
    )


def refresh_ticks(env: StreamExecutionEnvironment, refresh_ms: int) -> DataStream:
    """The ticks 0, 1, 2, ... one every `refresh_ms`, tick 0 at once."""
    return DataStream(helper().WithReferenceData.refreshTicks(env._j_stream_execution_environment, refresh_ms))


def no_refreshes(env: StreamExecutionEnvironment, snapshot_type: TypeInformation) -> DataStream:
    """An empty stream of reference snapshots (a bounded job keeps the one it starts with)."""
    return DataStream(
        helper().WithReferenceData.noRefreshes(env._j_stream_execution_environment, snapshot_type.get_java_type_info())
    )


# The as-of joins and the order document


def customer_versions(customers: DataStream, addresses: DataStream, sales: DataStream, ttl_ms: int) -> DataStream:
    """Each customer version, and each address version sent to every customer that named the
    address, for `customer_as_of`; `sales` lend their watermarks. `ttl_ms` > 0 forgets an address
    not updated for that long."""
    return DataStream(
        helper().CustomerVersions.of(customers._j_data_stream, addresses._j_data_stream, sales._j_data_stream, ttl_ms)
    )


def customer_as_of(
    sales: DataStream,
    party: str,
    customer_key: str,
    versions: DataStream,
    ttl_ms: int,
    earlier_join: tuple[str, str] | None = None,
) -> DataStream:
    """Each sale with the `document` of its customer `customer_key` and of that customer's address,
    both as of its `event_ms` (docs/contract.md §4), in the two columns of `party` (CustomerAsOf
    names them); `ttl_ms` > 0 forgets customers not updated for that long. `earlier_join` (party,
    customer key) is a join the sales have been through: a sale whose customer it already found
    takes its documents."""
    return DataStream(
        helper().CustomerAsOf.of(
            sales._j_data_stream,
            party,
            customer_key,
            versions._j_data_stream,
            ttl_ms,
            None if earlier_join is None else _strings(earlier_join),
        )
    )


def order_documents(joined: DataStream, parties: list[str]) -> DataStream:
    """Rows of (line_id, document: UTF-8 JSON bytes, dt) from the joined sale lines, whose as-of
    joins were those of `parties`, in the document's order."""
    return DataStream(helper().OrderDocuments.of(joined._j_data_stream, _strings(parties)))


def _document_fields(kinds: dict[str, str]):
    """The Java description of one part of the document (DocumentFields): its fields and their kinds, in order."""
    digits = [decimal_digits(name) if kind == "decimal" else (0, 0) for name, kind in kinds.items()]
    return helper().DocumentFields(
        _strings(kinds), _strings(kinds.values()), _ints(p for p, _ in digits), _ints(s for _, s in digits)
    )


def _strings(values) -> object:
    return to_jarray(get_gateway().jvm.String, list(values))


def _ints(values) -> object:
    return to_jarray(get_gateway().jvm.int, list(values))


def _java_map(values: dict[str, str]) -> object:
    java = get_gateway().jvm.java.util.HashMap()
    for key, value in values.items():
        java.put(key, value)
    return java
