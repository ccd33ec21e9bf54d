"""The reference data's way into the job. The client reads a first snapshot before it submits the
job (so no sale waits for Python to start), and it travels with the job to the Java operator that
puts each sale's item and promo beside it (WithReferenceData). Then, every
`reference.refresh_minutes`, a tick makes `LoadSnapshots` read both tables again, and the new
snapshot goes, as one element, to every task of that operator. Python works once per refresh
here, not once per sale.
"""

from __future__ import annotations

import json

from pyflink.common import Row, Types
from pyflink.datastream import DataStream, FlatMapFunction, RuntimeContext, StreamExecutionEnvironment

from flink_app.java_helper import no_refreshes, refresh_ticks
from flink_app.metrics import job_metrics
from flink_app.reference import INTEGER_FIELDS, ITEM_FIELDS, PROMO_FIELDS, ReferenceRefresher, ReferenceSource, Snapshot


def _table_type(fields: tuple[str, ...]):
    return Types.ROW_NAMED(list(fields), [Types.LONG() if f in INTEGER_FIELDS else Types.STRING() for f in fields])


SNAPSHOT_TYPE = Types.ROW_NAMED(
    ["items", "promos"], [Types.LIST(_table_type(ITEM_FIELDS)), Types.LIST(_table_type(PROMO_FIELDS))]
)


def snapshot_json(snapshot: Snapshot) -> str:
    """The snapshot as WithReferenceData reads its first one: {"items": [[field, ...], ...], "promos": ...}."""
    items, promos = snapshot
    return json.dumps({"items": list(items.values()), "promos": list(promos.values())})


class LoadSnapshots(FlatMapFunction):
    """At each tick after tick 0 (the job's start, where the client's snapshot is fresh), both
    tables as one snapshot; nothing when the refresh fails (the last good snapshot stays in use),
    counted in the metric `reference_refresh_failures`."""

    def __init__(self, source: ReferenceSource):
        self.source = source

    def open(self, runtime_context: RuntimeContext) -> None:
        self.refresher = ReferenceRefresher(self.source)
        self.refresh_failures = job_metrics(runtime_context).counter("reference_refresh_failures")

    def flat_map(self, tick: int):
        if tick == 0:
            return
        snapshot = self.refresher.refresh()
        if snapshot is None:
            self.refresh_failures.inc()
            return
        items, promos = snapshot
        yield Row([Row(*item) for item in items.values()], [Row(*promo) for promo in promos.values()])


def reference_snapshots(
    env: StreamExecutionEnvironment, source: ReferenceSource, refresh_seconds: float, bounded: bool
) -> DataStream:
    """The refreshed snapshots; none in a bounded job, which runs no Python for them."""
    if bounded:
        return no_refreshes(env, SNAPSHOT_TYPE)
    return (
        refresh_ticks(env, round(refresh_seconds * 1000))
        .flat_map(LoadSnapshots(source), output_type=SNAPSHOT_TYPE)
        .name("refresh reference data")
        .uid("refresh-reference-data")
        .set_parallelism(1)
    )
