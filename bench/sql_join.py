"""The reference the job is measured against: Flink SQL's own event-time temporal joins over the same
bus, and nothing else. Each sale line is joined as of its sale time with its bill customer, that
customer's address, its ship customer and that customer's address (four `FOR SYSTEM_TIME AS OF`
joins); JSON in (the bus files, bad lines skipped), a blackhole out, heap state, no checkpoints.
A bad line's time is the epoch (late: the joins pass it over). No validation, dead letters, reference data, geocoding, documents or exactly-once files: what is
left is the joins' own cost, the floor a job doing them cannot go below.

    .venv/bin/python -m bench.sql_join --bus .bench/shape/bus [--parallelism 2]

Prints the sales read and the seconds from the command's start to the job's end.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

STARTED = time.monotonic()  # before PyFlink's import: the job's figures count from the command's start too

from pyflink.table import EnvironmentSettings, TableEnvironment  # noqa: E402

# ISO-8601 as the contract writes it (milliseconds, `Z` or an offset).
ISO_FORMAT = "yyyy-MM-dd''T''HH:mm:ss.SSSXXX"


def source_ddl(name: str, folder: Path, columns: dict[str, str], time_field: str, key: str) -> str:
    fields = ",\n".join(f"`{column}` {sql_type}" for column, sql_type in columns.items())
    return f"""
        CREATE TABLE {name} (
            {fields},
            `{time_field}` STRING,
            ts AS COALESCE(TO_TIMESTAMP_LTZ(`{time_field}`, '{ISO_FORMAT}'), TO_TIMESTAMP_LTZ(0, 3)),
            WATERMARK FOR ts AS ts - INTERVAL '60' SECOND
            {f", PRIMARY KEY (`{key}`) NOT ENFORCED" if key else ""}
        ) WITH (
            'connector' = 'filesystem',
            'path' = '{folder.resolve().as_uri()}',
            'format' = 'json',
            'json.ignore-parse-errors' = 'true'
        )"""


JOINS = """
    INSERT INTO joined
    SELECT s.order_id, s.item_id, s.net_paid,
           bc.first_name, bc.last_name, ba.city, ba.state, ba.zip,
           sc.first_name, sc.last_name, sa.city, sa.state, sa.zip
    FROM sales AS s
    LEFT JOIN customers FOR SYSTEM_TIME AS OF s.ts AS bc ON s.bill_customer_id = bc.customer_id
    LEFT JOIN addresses FOR SYSTEM_TIME AS OF s.ts AS ba ON bc.address_id = ba.address_id
    LEFT JOIN customers FOR SYSTEM_TIME AS OF s.ts AS sc ON s.ship_customer_id = sc.customer_id
    LEFT JOIN addresses FOR SYSTEM_TIME AS OF s.ts AS sa ON sc.address_id = sa.address_id
"""

SINK = """
    CREATE TABLE joined (
        order_id BIGINT, item_id BIGINT, net_paid STRING,
        bill_first STRING, bill_last STRING, bill_city STRING, bill_state STRING, bill_zip STRING,
        ship_first STRING, ship_last STRING, ship_city STRING, ship_state STRING, ship_zip STRING
    ) WITH ('connector' = 'blackhole')
"""


def run(bus: Path, parallelism: int) -> float:
    """Seconds from the command's start to the end of the bounded join over `bus`."""
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    config = t_env.get_config()
    config.set("parallelism.default", str(parallelism))
    config.set("state.backend.type", "hashmap")
    config.set("pipeline.name", "bench-sql-join")
    text = "STRING"
    t_env.execute_sql(
        source_ddl(
            "customers",
            bus / "customers",
            {"customer_id": f"{text} NOT NULL", "first_name": text, "last_name": text, "address_id": text},
            "customer_datetime",
            "customer_id",
        )
    )
    t_env.execute_sql(
        source_ddl(
            "addresses",
            bus / "addresses",
            {"address_id": f"{text} NOT NULL", "city": text, "state": text, "zip": text},
            "address_datetime",
            "address_id",
        )
    )
    t_env.execute_sql(
        source_ddl(
            "sales",
            bus / "sales",
            {
                "order_id": "BIGINT",
                "item_id": "BIGINT",
                "net_paid": text,
                "bill_customer_id": text,
                "ship_customer_id": text,
            },
            "sale_datetime",
            "",
        )
    )
    t_env.execute_sql(SINK)
    t_env.execute_sql(JOINS).wait()
    return time.monotonic() - STARTED


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bus", type=Path, required=True)
    parser.add_argument("--parallelism", type=int, default=2)
    args = parser.parse_args()
    elapsed = run(args.bus, args.parallelism)
    sales = json.loads((args.bus / "manifest.json").read_text())["streams"]["sales"]["records"]
    print(json.dumps({"sales": sales, "seconds": round(elapsed, 2)}))


if __name__ == "__main__":
    main()
