"""The job's dataflow (docs/design.md, "The flow"):

    source (bus or Kinesis) ─► validate ─► dead letters ─► <curated>/dlq
                                   │
                                   ├─ addresses ─► event time ─► by address_id ─► geocoding ─► encode ─► versions
                                   ├─ customers ─► event time ─► encode ─► versions    (Async I/O, HTTP)
                                   └─ sales ─► event time ─► encode ─► first delivery + item, promo
                                                                                              ▲
    refresh ticks ─► load reference data (Python: CSV/Parquet, folder or S3) ─► snapshot ─────┘
                                                                        │
    customer versions, and each address version sent to every customer that named the address (Java
    CustomerVersions, keyed by address_id) ─► as-of joins (Java CustomerAsOf, keyed by customer):
    bill customer with its address, ship customer with its address
       ─► the order document (Java OrderDocuments, flink_app.documents) ─► <curated>/orders/dt=YYYY-MM-DD
                                                                        └► OpenSearch bulk (optional) ─► refused: <curated>/dlq/opensearch

"encode" writes each record's part of the order document once, where it enters (a customer version
once, not once per sale), and keeps beside it only the keys and time the later steps need.

Python reads the reference data once per refresh (and, with `geocoder.implementation = python`,
calls the geocoder once per batch of addresses); no Python runs per sale. Validation, timestamps, watermarks, dedup, the reference
lookup, joins and the sinks are Java operators with their state in RocksDB.
"""

from __future__ import annotations

import sys

from pyflink.common import Configuration, Duration, WatermarkStrategy
from pyflink.datastream import DataStream, StreamExecutionEnvironment
from pyflink.table import StatementSet, StreamTableEnvironment

from flink_app.aws_endpoints import s3_filesystem_settings
from flink_app.bus import bus_source
from flink_app.config import STREAMS, BusSettings, JobConfig
from flink_app import documents
from flink_app.geocoding import GEOCODE_COLUMNS, geocoding_step
from flink_app.java_helper import (
    add_helper_jar,
    columns,
    customer_as_of,
    customer_versions,
    encoded,
    first_deliveries_with_reference_data,
    initialize_local_filesystems,
    kinesis_records,
    order_documents,
    record_validator,
    validated,
    with_event_time,
)
from flink_app.reference import Snapshot
from flink_app.reference_snapshots import reference_snapshots, snapshot_json
from flink_app.sinks import curated_sink_ddl, dead_letter_sink_ddl, opensearch_sink_ddl


def flink_configuration(config: JobConfig) -> Configuration:
    """Exactly-once checkpoints, RocksDB with incremental checkpoints, a bounded restart strategy."""
    settings = {
        "pipeline.name": "streaming-orders",
        # Chained operators hand records on without a defensive copy: none of the job's operators
        # changes a record it received or keeps one outside RocksDB, and inputs from the network
        # are always fresh objects (docs/performance.md has what it saves).
        "pipeline.object-reuse": "true",
        "execution.checkpointing.interval": f"{config.checkpoint_interval_ms} ms",
        "execution.checkpointing.mode": "EXACTLY_ONCE",
        "execution.checkpointing.tolerable-failed-checkpoints": "3",
        "state.backend.type": "rocksdb",
        "execution.checkpointing.incremental": "true",
        "state.backend.rocksdb.timer-service.factory": "HEAP",
        "state.backend.rocksdb.predefined-options": "FLASH_SSD_OPTIMIZED",
        # First delivery looks up every new sale line, a key not yet there: a bloom filter answers
        # most of those misses without reading the SST files (docs/performance.md).
        "state.backend.rocksdb.use-bloom-filter": "true",
        "taskmanager.memory.managed.size": "1g",  # the local MiniCluster (MSF sizes its own by KPU)
        "restart-strategy.type": "exponential-delay",
        "restart-strategy.exponential-delay.initial-backoff": "1 s",
        "restart-strategy.exponential-delay.max-backoff": "1 min",
        "restart-strategy.exponential-delay.attempts-before-reset-backoff": "10",
    }
    if config.checkpoint_dir:
        settings["execution.checkpointing.dir"] = config.checkpoint_dir
        settings["execution.checkpointing.externalized-checkpoint-retention"] = "RETAIN_ON_CANCELLATION"
    if config.restore_from:
        settings["execution.state-recovery.path"] = config.restore_from
    configuration = Configuration()
    for key, value in settings.items():
        configuration.set_string(key, value)
    return configuration


def build(config: JobConfig, reference: Snapshot) -> tuple[StreamExecutionEnvironment, StatementSet]:
    """The job, ready to execute: the environment and the statement set of its two outputs;
    `reference` is the reference data it starts with."""
    env = StreamExecutionEnvironment.get_execution_environment(flink_configuration(config))
    env.set_python_executable(sys.executable)
    if config.parallelism:
        env.set_parallelism(config.parallelism)
    if not config.msf:
        add_helper_jar(env)
        initialize_local_filesystems(s3_filesystem_settings())
    t_env = StreamTableEnvironment.create(env)

    dead_letters, streams = [], {}
    for stream in STREAMS:
        validator = record_validator(stream)
        if config.bus is not None:
            rows, bad = validated(_bus_lines(env, config.bus, stream), validator)
            # Timestamps and watermarks per reader, before any shuffle (EventTime says why).
            rows = with_event_time(rows, config.out_of_orderness_ms, config.idle_timeout_ms)
        else:  # timestamped inside the source, per shard (java_helper.kinesis_records says why)
            assert config.kinesis is not None  # a job has exactly one source (JobConfig)
            raw = kinesis_records(
                env, stream, config.kinesis, validator, config.out_of_orderness_ms, config.idle_timeout_ms
            )
            rows, bad = validated(raw, validator)
        dead_letters.append(bad)
        streams[stream] = rows
    streams["addresses"] = geocoding_step(streams["addresses"], config.geocoder)
    streams = {
        stream: encoded(rows, stream, documents.kept(stream), list(GEOCODE_COLUMNS) if stream == "addresses" else None)
        for stream, rows in streams.items()
    }
    refreshed = reference_snapshots(env, config.reference, config.reference_refresh_seconds, config.bounded)
    sales = first_deliveries_with_reference_data(
        streams["sales"], config.dedup_window_ms, snapshot_json(reference), refreshed, *documents.reference_kinds()
    )
    versions = customer_versions(streams["customers"], streams["addresses"], sales, config.join_state_ttl_ms)
    earlier_join = None  # the ship join takes the bill join's documents where the customer is the same
    for party, customer_key in documents.PARTIES:
        sales = customer_as_of(sales, party, customer_key, versions, config.join_state_ttl_ms, earlier_join)
        earlier_join = (party, customer_key)
    orders = order_documents(sales, [party for party, _ in documents.PARTIES])
    t_env.create_temporary_view("order_documents", t_env.from_data_stream(orders))
    t_env.create_temporary_view("bad_records", t_env.from_data_stream(dead_letters[0].union(*dead_letters[1:])))

    names = columns()
    t_env.execute_sql(curated_sink_ddl(f"{config.curated_path}/orders", config.checkpoint_interval_ms))
    t_env.execute_sql(
        dead_letter_sink_ddl(f"{config.curated_path}/dlq", names.dead_letter, config.checkpoint_interval_ms)
    )
    statements = t_env.create_statement_set()
    statements.add_insert_sql(
        f"INSERT INTO curated_orders SELECT `{names.document}`, `{names.dt}` FROM order_documents"
    )
    statements.add_insert_sql("INSERT INTO dead_letters SELECT * FROM bad_records")
    if config.opensearch is not None:  # the same documents (the planner shares the plan)
        t_env.execute_sql(opensearch_sink_ddl(config.opensearch, f"{config.curated_path}/dlq/opensearch"))
        statements.add_insert_sql(
            f"INSERT INTO opensearch_orders SELECT `{names.line_id}`, `{names.document}` FROM order_documents"
        )
    return env, statements


def _bus_lines(env: StreamExecutionEnvironment, bus: BusSettings, stream: str) -> DataStream:
    """The lines of the stream's bus files, in name order."""
    watch = None if bus.bounded else Duration.of_millis(round(bus.watch_interval_seconds * 1000))
    source = bus_source(env, bus.path / stream, watch)
    # One reader per stream: the bus's files follow each other in time, and two readers taking
    # them in turn would interleave time ranges further apart than the out-of-orderness bound.
    return (
        env.from_source(source, WatermarkStrategy.no_watermarks(), f"bus {stream}")
        .uid(f"source-{stream}")
        .set_parallelism(1)
    )
