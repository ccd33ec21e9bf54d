"""The Python step of each stream: raw line -> validated row (sales also looked up in the reference
data), or a dead letter on a side output. Python earns its place here: one pass per record that
says exactly why a record is bad (DESIGN.md measured Flink SQL's JSON functions failing the job on a
wrong type, and at a quarter of this speed)."""

from __future__ import annotations

from pyflink.common import Row, Types
from pyflink.datastream import OutputTag, ProcessFunction, RuntimeContext

from flink_app.records import FIELDS, Record, parse
from flink_app.reference import ITEM_FIELDS, PROMO_FIELDS, ReferenceData

DEAD_LETTER_TYPE = Types.ROW_NAMED(["stream", "raw", "reason"], [Types.STRING(), Types.STRING(), Types.STRING()])
DEAD_LETTERS = OutputTag("dead-letters", DEAD_LETTER_TYPE)
REFERENCE_COLUMNS = ([(f"item_{f}", "int" if f == "item_id" else "str") for f in ITEM_FIELDS]
                     + [(f"promo_{f}", "int" if f == "response_target" else "str") for f in PROMO_FIELDS])


def columns(stream: str) -> list[tuple[str, str]]:
    """The validated row: the stream's fields, `event_ms`, and for sales the item and promo found."""
    own = [(name, "int" if kind == "int" else "str") for name, kind in FIELDS[stream].items()]
    return own + [("event_ms", "int")] + (REFERENCE_COLUMNS if stream == "sales" else [])


TYPES = {"int": Types.LONG, "double": Types.DOUBLE, "str": Types.STRING}


def row_type(cols: list[tuple[str, str]]):
    return Types.ROW_NAMED([c for c, _ in cols], [TYPES[k]() for _, k in cols])


class ValidateRecords(ProcessFunction):
    def __init__(self, stream: str, reference: tuple[str, str, float] | None = None):
        """`reference`: (local folder or s3:// URI, csv|parquet, refresh seconds), for sales."""
        self.stream = stream
        self.reference_settings = reference
        self.reference: ReferenceData | None = None

    def open(self, runtime_context: RuntimeContext) -> None:
        metrics = runtime_context.get_metrics_group()
        self.records_in = metrics.counter("records_in")
        self.dead_letters = metrics.counter("dead_letters")
        if self.reference_settings:
            folder, file_format, refresh_seconds = self.reference_settings
            self.reference = ReferenceData(folder, file_format, refresh_seconds)
            self.refresh_failures = metrics.counter("reference_refresh_failures")
            self.no_item, self.no_promo = (None,) * len(ITEM_FIELDS), (None,) * len(PROMO_FIELDS)
            self.item_position = list(FIELDS["sales"]).index("item_id")
            self.promo_position = list(FIELDS["sales"]).index("promo_id")

    def process_element(self, line: str | Row, ctx: ProcessFunction.Context):
        self.records_in.inc()
        result = parse(self.stream, line if isinstance(line, str) else line[0])  # a Row(line) from Kinesis
        if not isinstance(result, Record):
            self.dead_letters.inc()
            yield DEAD_LETTERS, Row(result.stream, result.raw, result.reason)
        elif self.reference is None:
            yield Row(*result.values, result.event_ms)
        else:
            reference = self.reference
            if reference.refresh_if_due():
                self.refresh_failures.inc()
            item = reference.items.get(str(result.values[self.item_position]), self.no_item)
            promo_id = result.values[self.promo_position]
            promo = self.no_promo if promo_id is None else reference.promos.get(promo_id, self.no_promo)
            yield Row(*result.values, result.event_ms, *item, *promo)
