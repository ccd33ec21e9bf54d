"""The `json-lines` format (the helper's JsonLinesEncoder) writes, byte for byte, what Flink's own
`json` format with decimals as plain numbers writes: the job's output did not change when it
replaced it. Both sinks are fed the same rows, chosen for what an encoder can get wrong."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from pyflink.datastream import StreamExecutionEnvironment
from pyflink.table import StreamTableEnvironment

from flink_app.java_helper import add_helper_jar

COLUMNS = ("id BIGINT, name STRING, price DECIMAL(15, 2), ratio DOUBLE, flag BOOLEAN, tags ARRAY<STRING>, "
           "place ROW<street STRING, gmt_offset DECIMAL(5, 2), location ROW<lat DOUBLE, lon DOUBLE>>")
ROWS = """
  (1, 'plain', 12.30, 0.5, TRUE, ARRAY['a', 'b'], ROW('1 Main St', -5.00, ROW(40.7128, -74.006))),
  (2, 'quote " backslash \\ tab' || CHR(9) || 'newline' || CHR(10) || 'bell' || CHR(7), 0.00, -0.0001, FALSE,
      ARRAY[CAST(NULL AS STRING), ''], ROW(CAST(NULL AS STRING), CAST(NULL AS DECIMAL(5, 2)), CAST(NULL AS ROW<lat DOUBLE, lon DOUBLE>))),
  (3, 'é ü 東京 🙂', -1234567890123.45, 1e-7, CAST(NULL AS BOOLEAN), ARRAY['x'], CAST(NULL AS ROW<street STRING, gmt_offset DECIMAL(5, 2), location ROW<lat DOUBLE, lon DOUBLE>>)),
  (CAST(NULL AS BIGINT), CAST(NULL AS STRING), CAST(NULL AS DECIMAL(15, 2)), CAST(NULL AS DOUBLE), TRUE,
      CAST(NULL AS ARRAY<STRING>), ROW('', 14.00, ROW(0.0, 1.0E10)))
"""


def written_by(t_env: StreamTableEnvironment, folder: Path, format_options: str) -> list[bytes]:
    t_env.execute_sql(f"CREATE TABLE `{folder.name}` ({COLUMNS}) WITH ("
                      f"'connector' = 'filesystem', 'path' = '{folder}', {format_options})")
    t_env.execute_sql(f"INSERT INTO `{folder.name}` SELECT * FROM (VALUES {ROWS}) AS v").wait()
    return sorted(line for path in folder.rglob("part-*") for line in path.read_bytes().splitlines())


def test_json_lines_writes_what_flinks_json_format_writes(tmp_path):
    env = StreamExecutionEnvironment.get_execution_environment()
    add_helper_jar(env)
    env.set_parallelism(1)
    t_env = StreamTableEnvironment.create(env)
    flinks = written_by(t_env, tmp_path / "flink_json", "'format' = 'json', 'json.encode.decimal-as-plain-number' = 'true'")
    ours = written_by(t_env, tmp_path / "json_lines", "'format' = 'json-lines'")
    assert len(ours) == 4
    assert ours == flinks
    documents = [json.loads(line, parse_float=Decimal) for line in ours]
    assert {d["id"]: d["price"] for d in documents} == {1: Decimal("12.30"), 2: Decimal("0.00"),
                                                        3: Decimal("-1234567890123.45"), None: None}
