"""The Kinesis source of each stream: the Java helper's KinesisShardsSource, a FLIP-27 source that
polls each shard with GetRecords (AWS SDK for Java v2). Each record comes in as its raw payload, so
that validation sees exactly what was sent and can dead-letter it with the reason, and its event
time is assigned inside the source, per shard: a reader holds several shards, and a shard far
behind the others (a dense one, in a backlog read from TRIM_HORIZON) must hold the watermark back
rather than have its records declared late.

Why the project's own source: the AWS connector for Flink 2.x (`flink-connector-aws-kinesis-streams`
6.x, whose `KinesisStreamsSource` does the same) is not on the Maven repository the project's
machines reach, so it could be neither built against nor run here. The source reads by polling;
enhanced fan-out (SubscribeToShard) is not implemented.
"""

from __future__ import annotations

from pyflink.datastream import DataStream, StreamExecutionEnvironment

from flink_app.config import KinesisSettings
from flink_app.java_helper import helper


def kinesis_source(
    env: StreamExecutionEnvironment, stream: str, settings: KinesisSettings, validator, bound_ms: int, idle_ms: int
) -> DataStream:
    """`stream`'s records as sent (bytes), timestamped by `validator`'s event time, watermarks
    `bound_ms` behind each shard's newest record; a shard idle for `idle_ms` stops holding the
    others back."""
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
