"""The job's Java (the Maven module java/, built by scripts/setup.sh): the operators that must not be
Python on the hot path or that Flink SQL lacks, and the connectors."""

from __future__ import annotations

from pathlib import Path

from pyflink.datastream import DataStream, StreamExecutionEnvironment
from pyflink.java_gateway import get_gateway
from pyflink.util.java_utils import to_jarray

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
    java_settings = get_gateway().jvm.java.util.HashMap()
    for key, value in settings.items():
        java_settings.put(key, value)
    helper().LocalFileSystems.initialize(str(PLUGINS), java_settings)


def helper():
    """The helper's package in the client JVM (after `add_helper_jar`)."""
    return get_gateway().jvm.streamingorders.flink


def with_event_time(rows: DataStream, event_ms_position: int, bound_ms: int, idle_ms: int) -> DataStream:
    """Timestamps from the row's epoch-millisecond field, watermarks `bound_ms` behind the newest."""
    return DataStream(helper().EventTime.assign(rows._j_data_stream, event_ms_position, bound_ms, idle_ms))


def first_deliveries_with_reference_data(
    sales: DataStream, dedup_window_ms: int, first_snapshot_json: str, snapshots: DataStream, item_fields, promo_fields
) -> DataStream:
    """Each sale line once (redeliveries within `dedup_window_ms` of the first are dropped), with its
    item and promo, encoded as described by `item_fields` and `promo_fields` (flink_app.documents),
    as `item_document` and `promo_document`: from the first snapshot (JSON), then from the latest of
    `snapshots`."""
    return DataStream(
        helper().WithReferenceData.of(
            sales._j_data_stream,
            dedup_window_ms,
            snapshots._j_data_stream,
            first_snapshot_json,
            item_fields,
            promo_fields,
        )
    )


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
    earlier = None if earlier_join is None else to_jarray(get_gateway().jvm.String, list(earlier_join))
    return DataStream(
        helper().CustomerAsOf.of(
            sales._j_data_stream,
            party,
            customer_key,
            versions._j_data_stream,
            ttl_ms,
            earlier,
        )
    )


def partition_by_field(rows: DataStream, position: int) -> DataStream:
    """Every row with the same value at `position` to the same task (no keyed state)."""
    return DataStream(helper().ByField.partition(rows._j_data_stream, position))
