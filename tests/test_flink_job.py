"""The job end to end on Flink's MiniCluster, run as a user runs it (`python -m flink_app`), its
committed output compared field by field with the independent oracle (tests/support/order_oracle.py)."""

from __future__ import annotations

import csv
import json
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.support.job_output import committed, dead_letter_bytes, differences, read_dead_letters, read_orders
from tests.support.job_runs import (
    SALES_TO_KILL_IN,
    checkpoint_number,
    generate,
    job_command,
    latest_checkpoint,
    run_job,
    start_job,
    stop,
)
from tests.support.order_oracle import Oracle, bus_records, expected_output


HOSTILE_ORDER_ID = 10**12


def add_hostile_records(bus: Path) -> dict[bytes, str]:
    """Records a hostile producer sends (issue 22), in a last file of two streams: a valid sale with
    CRs between its members and a CRLF ending, and bad ones; {a bad record: its reason}."""
    last_sale = json.loads(bus_records(sorted((bus / "sales").glob("*.jsonl"))[-1])[-1])
    sale = {**last_sale, "order_id": HOSTILE_ORDER_ID}
    customer = json.loads(bus_records(sorted((bus / "customers").glob("*.jsonl"))[-1])[-1])

    def line(record: dict) -> bytes:
        return json.dumps(record).encode()

    bad_sales = {
        line({**sale, "ship_mode": "A?R"}).replace(b"A?R", b"A\xffR"): "not UTF-8: invalid byte 0xFF",
        line({**sale, "ship_mode": "\ud800"}): "field 'ship_mode' holds a lone surrogate \\uD800",
        line({**sale, "net_paid": None}).replace(b"null", b"1e2000000"): "field 'net_paid' is out of range",
        line({**sale, "ship_mode": "A\rR"}).replace(b"\\r", b"\r"): "not valid JSON",
        line(sale).replace(b'"item_id": ', b'"order_id": 6, "item_id": '): "member 'order_id' appears twice",
    }
    bad_customers = {
        line({**customer, "customer_id": ""}): "field 'customer_id' must be a non-empty string",
        line({**customer, "birth_date": "2026-02-30"}): "field 'birth_date' is not a valid date",
    }
    members = ",\r ".join(f"{json.dumps(name)}: {json.dumps(value)}" for name, value in sale.items())
    (bus / "sales" / "part-999999.jsonl").write_bytes(
        b"\n".join([("{" + members + "}\r").encode(), *bad_sales]) + b"\n"
    )
    (bus / "customers" / "part-999999.jsonl").write_bytes(b"\r\n".join(bad_customers) + b"\r\n")
    return bad_sales | bad_customers


@pytest.fixture(scope="module")
def bounded_run(tmp_path_factory):
    root = generate(tmp_path_factory.mktemp("job"), customers=300, sales=8000, seed=11)
    hostile = add_hostile_records(root / "bus")
    return root, run_job(root), hostile


def test_output_equals_the_oracle_field_by_field(bounded_run):
    root, *_ = bounded_run
    oracle = expected_output(root / "bus", root / "ref")
    orders = read_orders(root / "out")
    assert differences(oracle, orders) == []
    assert len(orders) == len(oracle.orders) == 8000 + 1  # every sale line once: none lost, none duplicated
    assert [d["order_id"] for d in orders if d["order_id"] == HOSTILE_ORDER_ID] == [HOSTILE_ORDER_ID]
    gaps = Counter(m for d in orders for m in d["missing"])
    assert gaps["bill_customer"] and gaps["item"] and gaps["promo"]  # the orphans and unknown references show


def test_every_bad_record_is_a_dead_letter_with_its_reason(bounded_run):
    root, *_ = bounded_run
    oracle = expected_output(root / "bus", root / "ref")
    dead = read_dead_letters(root / "out")
    assert Counter((d["stream"], dead_letter_bytes(d)) for d in dead) == oracle.dead_letters
    assert {d["stream"] for d in dead} == {"customers", "addresses", "sales"}
    assert all(d["reason"] for d in dead)
    reasons = {dead_letter_bytes(d): d["reason"] for d in dead}
    for record, reason in bounded_run[2].items():
        assert reason in reasons[record], (record, reasons[record])
    not_utf8 = [d for d in dead if "raw_base64" in d]
    assert len(not_utf8) == 1 and not_utf8[0]["raw"] == dead_letter_bytes(not_utf8[0]).decode(errors="replace")


def test_partitions_are_the_sale_dates_and_committed(bounded_run):
    root, *_ = bounded_run
    partitions = {p.parent.name for p in committed(root / "out" / "orders")}
    assert len(partitions) >= 2
    assert all((root / "out" / "orders" / p / "_SUCCESS").exists() for p in partitions)


def test_the_summary_reports_what_was_written(bounded_run):
    root, finished, _ = bounded_run
    orders = read_orders(root / "out")
    complete = sum(not d["missing"] for d in orders)
    dead = Counter(d["stream"] for d in read_dead_letters(root / "out"))
    duplicates = len(orders) - len({d["line_id"] for d in orders})
    summary = finished.stdout
    assert f"orders written  {len(orders):,} (complete {complete:,}, with gaps {len(orders) - complete:,})" in summary
    assert f"dead letters    {sum(dead.values()):,}" in summary
    sale_records = sum(len(bus_records(f)) for f in (root / "bus" / "sales").glob("*.jsonl"))
    assert f"sales read      {sale_records:,}" in summary
    assert duplicates == 0


def test_killed_mid_run_and_resumed_at_another_parallelism_gives_exactly_the_expected_output(killed_and_resumed):
    root = killed_and_resumed.root
    assert 0 < killed_and_resumed.committed_before_kill < SALES_TO_KILL_IN, "the kill did not happen mid-run"
    oracle = expected_output(root / "bus", root / "ref")
    assert differences(oracle, read_orders(root / "out")) == []
    dead = read_dead_letters(root / "out")
    assert Counter((d["stream"], dead_letter_bytes(d)) for d in dead) == oracle.dead_letters


def test_watching_the_bus_picks_up_files_that_arrive_later(tmp_path):
    """Without --bounded the job keeps reading: sales files renamed into place while it runs (as a
    producer does) become orders, each once and as the oracle says."""
    root = generate(tmp_path, customers=200, sales=6000, seed=13)
    sales_files = sorted((root / "bus" / "sales").glob("part-*.jsonl"))
    later = sales_files[len(sales_files) // 2 :]
    hide(later)  # not delivered yet
    job = start_watching(root, tmp_path, idle_timeout_seconds=10)
    later_lines = {f"{r['order_id']}-{r['item_id']}" for path in later for r in _valid_sales(hidden(path))}
    try:
        wait_for(lambda: len(read_orders(root / "out")) > 0, job)
        unhide(later)
        # All but the few the watermark still holds (the last out-of-orderness bound's): a date's
        # later orders must not wait for its part file to grow old once the date was committed.
        wait_for(
            lambda: len({d["line_id"] for d in read_orders(root / "out")} & later_lines) > 0.95 * len(later_lines),
            job,
            seconds=120,
        )
        wait_for(lambda: committed(root / "out" / "dlq"), job, seconds=30)  # dead letters, too, while it runs
    finally:
        stop(job)
    oracle = assert_written_as_the_oracle_says(root)
    dead = Counter((d["stream"], dead_letter_bytes(d)) for d in read_dead_letters(root / "out"))
    assert not dead - oracle.dead_letters


def test_sales_read_before_their_customers_and_addresses_wait_for_them(tmp_path):
    """As on Kinesis, where every stream runs about the bound behind now: sales whose customers and
    addresses have not been read yet wait in the joins' state (idleness off), and are joined to
    them once they arrive."""
    root = generate(tmp_path, customers=200, sales=4000, seed=14)
    held_back = sorted((root / "bus" / "customers").glob("*.jsonl")) + sorted(
        (root / "bus" / "addresses").glob("*.jsonl")
    )
    hide(held_back)
    checkpoints = tmp_path / "checkpoints"
    job = start_watching(root, tmp_path, idle_timeout_seconds=0, options=("--checkpoint-dir", checkpoints.as_uri()))
    try:
        # The four small sales files take well under the ten checkpoints (one a second) to read.
        wait_for(lambda: checkpoint_number(latest_checkpoint(checkpoints)) >= 10, job)
        assert read_orders(root / "out") == [], "a sale was joined before its customers could arrive"
        unhide(held_back)
        wait_for(lambda: len(read_orders(root / "out")) > 3000, job)
    finally:
        stop(job)
    assert_written_as_the_oracle_says(root)


def test_reference_data_refreshed_while_the_job_runs_applies_to_the_sales_after_it(tmp_path):
    """Items renamed in the data lake reach the sales processed after the next refresh, without a
    restart; the orders written before it keep the names they were written with."""
    root = generate(tmp_path, customers=200, sales=4000, seed=15)
    sales_files = sorted((root / "bus" / "sales").glob("part-*.jsonl"))
    early, later = sales_files[: len(sales_files) // 2], sales_files[len(sales_files) // 2 :]
    first_seen_later = {f"{r['order_id']}-{r['item_id']}" for path in later for r in _valid_sales(path)} - {
        f"{r['order_id']}-{r['item_id']}" for path in early for r in _valid_sales(path)
    }
    hide(later)
    items_csv = root / "ref" / "items" / "items.csv"
    original = {row["item_id"]: row["brand"] for row in csv.DictReader(items_csv.open(encoding="utf-8"))}
    job = start_watching(root, tmp_path, idle_timeout_seconds=10, refresh_minutes=0.05)  # every 3 s
    try:
        wait_for(lambda: len(read_orders(root / "out")) > 0, job)
        rows = list(csv.DictReader(items_csv.open(encoding="utf-8")))
        for row in rows:
            row["brand"] = f"{row['brand']} (renamed)"
        staged = items_csv.with_name(".items.csv")  # replaced in one rename, as a producer would
        with staged.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        staged.rename(items_csv)
        written_before = {d["line_id"] for d in read_orders(root / "out")}
        time.sleep(10)  # three refresh intervals
        unhide(later)
        wait_for(
            lambda: len({d["line_id"] for d in read_orders(root / "out")} & first_seen_later)
            > 0.95 * len(first_seen_later),
            job,
            seconds=120,
        )
    finally:
        stop(job)
    orders = read_orders(root / "out")
    brands = {d["line_id"]: (str(d["item"]["item_id"]), d["item"]["brand"]) for d in orders if d["item"]}
    refreshed = [line for line in first_seen_later if line in brands]
    assert len(refreshed) > 0.9 * len(first_seen_later)
    assert [brands[line] for line in refreshed if brands[line][1] != f"{original[brands[line][0]]} (renamed)"] == []
    assert [
        (line, brand) for line, (item, brand) in brands.items() if line in written_before and brand != original[item]
    ] == []
    oracle = expected_output(root / "bus", root / "ref")  # the renamed items: right for the later sales
    later_orders = [d for d in orders if d["line_id"] in first_seen_later]
    assert [p for p in differences(oracle, later_orders, limit=10**6) if "missing from the output" not in p] == []


def hidden(path: Path) -> Path:
    """Where a bus file waits, undelivered: the source skips hidden files."""
    return path.with_name(f".{path.name}")


def hide(paths: list[Path]) -> None:
    for path in paths:
        path.rename(hidden(path))


def unhide(paths: list[Path]) -> None:
    for path in paths:
        hidden(path).rename(path)


def start_watching(
    root: Path, tmp_path: Path, idle_timeout_seconds: int, options: tuple[str, ...] = (), refresh_minutes: float = 15
) -> subprocess.Popen:
    """The job without --bounded, checkpointing every second, in its own process group."""
    properties = tmp_path / "properties.json"
    properties.write_text(
        json.dumps(
            [
                {"PropertyGroupId": "job", "PropertyMap": {"idle_timeout_seconds": str(idle_timeout_seconds)}},
                {"PropertyGroupId": "reference", "PropertyMap": {"refresh_minutes": str(refresh_minutes)}},
            ]
        )
    )
    command = [
        arg
        for arg in job_command(root, "--checkpoint-interval", "1", "--properties", str(properties), *options)
        if arg != "--bounded"
    ]
    return start_job(command)


def assert_written_as_the_oracle_says(root: Path) -> Oracle:
    """Every order written by a job that was stopped mid-stream is as the oracle says, and once."""
    oracle = expected_output(root / "bus", root / "ref")
    orders = read_orders(root / "out")
    assert [p for p in differences(oracle, orders, limit=10**6) if "missing from the output" not in p] == []
    assert len({d["line_id"] for d in orders}) == len(orders)
    return oracle


def _valid_sales(path: Path) -> list[dict]:
    records = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "order_id" in record and "item_id" in record:
            records.append(record)
    return records


def wait_for(condition, job: subprocess.Popen, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert job.poll() is None, "the job stopped"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)
