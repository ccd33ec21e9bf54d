"""The job's OpenSearch sink alone, for bench.opensearch: a Flink job that reads curated orders back
(one JSON document per line) and writes them through the sink, as the `opensearch` group of an
application_properties.json configures it. `line_id` is cut out of each line by position (the
order document's first field) rather than parsed, as in the job, where the sink is handed it.

    .venv/bin/python -m bench.opensearch_sink_alone ORDERS_FOLDER PROPERTIES PARALLELISM
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from pyflink.datastream import StreamExecutionEnvironment
from pyflink.table import StreamTableEnvironment

from flink_app.config import opensearch_settings, read_property_groups
from flink_app.java_helper import add_helper_jar
from flink_app.sinks import curated_source_ddl, opensearch_sink_ddl


ID_START = len('{"line_id":"') + 1  # SQL counts from 1
LINE_ID = f"SUBSTRING(document FROM {ID_START} FOR POSITION('\"' IN SUBSTRING(document FROM {ID_START})) - 1)"


def main(orders: str, properties: str, parallelism: str) -> None:
    settings = opensearch_settings(read_property_groups(Path(properties)))
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(int(parallelism))
    env.enable_checkpointing(10_000)
    add_helper_jar(env)
    t_env = StreamTableEnvironment.create(env)
    t_env.execute_sql(curated_source_ddl(orders))
    with tempfile.TemporaryDirectory() as dead_letters:
        t_env.execute_sql(opensearch_sink_ddl(settings, dead_letters))
        t_env.execute_sql(
            f"INSERT INTO opensearch_orders SELECT {LINE_ID}, CAST(document AS BYTES) FROM curated_orders"
        ).wait()


if __name__ == "__main__":
    main(*sys.argv[1:])
