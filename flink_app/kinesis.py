"""The Kinesis source of each stream, as Flink SQL DDL for the AWS Kinesis Streams connector
(`flink-connector-aws-kinesis-streams`, table connector 'kinesis'). Each record comes in as its raw
payload, a single STRING column, so that validation sees exactly what was sent and can dead-letter
it with the reason (a JSON format would drop or fail on bad records).

The connector jar is in the MSF application package (the SAM build fetches it); it cannot be
fetched on a machine without Maven Central, so locally the job reads the bus instead.
"""

from __future__ import annotations

from flink_app.config import KinesisSettings


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def kinesis_source_options(stream: str, settings: KinesisSettings) -> dict[str, str]:
    options = {
        "connector": "kinesis",
        "stream.arn": settings.stream_arns[stream],
        "aws.region": settings.region,
        "source.init.position": settings.initial_position,
        "source.reader.type": settings.reader_type,
        "format": "raw",
        "raw.charset": "UTF-8",
    }
    if settings.initial_position == "AT_TIMESTAMP":
        options["source.init.timestamp"] = settings.initial_timestamp
    if settings.reader_type == "EFO":
        options["source.efo.consumer.name"] = settings.efo_consumer_name
    if settings.endpoint:
        options["aws.endpoint"] = settings.endpoint
    return options


def kinesis_source_ddl(table: str, stream: str, settings: KinesisSettings) -> str:
    """`CREATE TABLE <table> (line STRING)` reading `stream`'s Kinesis data stream."""
    options = ",\n  ".join(f"{_quoted(k)} = {_quoted(v)}" for k, v in kinesis_source_options(stream, settings).items())
    return f"CREATE TABLE `{table}` (`line` STRING) WITH (\n  {options}\n)"
