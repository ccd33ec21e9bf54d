"""The sinks' SQL: a path or option holding a quote is one string literal to Flink's parser."""

from __future__ import annotations

from pyflink.table import EnvironmentSettings, TableEnvironment

from flink_app.sinks import curated_sink_ddl, dead_letter_sink_ddl


def test_paths_with_a_quote_reach_the_table_options_unchanged(tmp_path):
    t_env = TableEnvironment.create(EnvironmentSettings.in_batch_mode())
    out = tmp_path / "it's here"
    t_env.execute_sql(curated_sink_ddl(str(out / "orders"), 1000))
    t_env.execute_sql(dead_letter_sink_ddl(str(out / "dlq"), ("stream", "raw", "reason", "raw_base64"), 1000))
    for table, path in (("curated_orders", out / "orders"), ("dead_letters", out / "dlq")):
        with t_env.execute_sql(f"SHOW CREATE TABLE {table}").collect() as rows:
            [[ddl]] = [list(row) for row in rows]
        assert f"'path' = '{str(path).replace(chr(39), chr(39) * 2)}'" in ddl
