"""The generator: realistic, consistent, deterministic data with every reality counted in the manifest."""

from __future__ import annotations

import csv
import datetime as dt
import json
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import zipcodes

from datagen.cli import main
from tests.support.contract import STREAMS, classify, validator

# Every reality well above its default rate, so that a small run holds several of each.
REALITIES = [
    "--customer-updates-rate",
    "0.3",
    "--moves-rate",
    "0.1",
    "--address-updates-rate",
    "0.2",
    "--out-of-order-rate",
    "0.3",
    "--late-rate",
    "0.01",
    "--duplicates-rate",
    "0.02",
    "--orphans-rate",
    "0.02",
    "--bad-rate",
    "0.01",
    "--unknown-addresses-rate",
    "0.05",
    "--unknown-references-rate",
    "0.02",
]
TIME_FIELD = {"customers": "customer_datetime", "addresses": "address_datetime", "sales": "sale_datetime"}


def generate(root: Path, *extra: str, seed: int = 7, customers: int = 400, sales: int = 6000) -> Path:
    args = [
        "--bus",
        str(root / "bus"),
        "--reference",
        str(root / "reference"),
        "--customers",
        str(customers),
        "--sales",
        str(sales),
        "--seed",
        str(seed),
        "--days",
        "2",
        "--records-per-file",
        "500",
        "--quiet",
        "--reference-formats",
        "csv,parquet",
        *REALITIES,
        *extra,
    ]
    assert main(args) == 0
    return root


def lines(root: Path, stream: str) -> list[bytes]:
    """A stream's records in delivery order: files in name order, lines in file order."""
    files = sorted((root / "bus" / stream).glob("*.jsonl"))
    return [line for f in files for line in f.read_bytes().splitlines()]


def valid_records(root: Path, stream: str) -> list[dict]:
    return [json.loads(line) for line in lines(root, stream) if classify(stream, line) == "valid"]


def millis(timestamp: str) -> int:
    return int(dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("datagen"))


@pytest.fixture(scope="module")
def manifest(run) -> dict:
    return json.loads((run / "bus" / "manifest.json").read_text())


@pytest.mark.parametrize("stream", STREAMS)
def test_every_record_is_valid_or_a_counted_bad_one(run, manifest, stream):
    kinds = Counter(classify(stream, line) for line in lines(run, stream))
    expected_bad = manifest["streams"][stream]["bad"]
    assert sum(expected_bad.values()) > 0, "the run should inject bad records"
    assert kinds == Counter(
        {"valid": manifest["streams"][stream]["valid"], **{k: v for k, v in expected_bad.items() if v}}
    )


@pytest.mark.parametrize("stream", STREAMS)
def test_manifest_counts_match_the_files(run, manifest, stream):
    stats = manifest["streams"][stream]
    files = sorted((run / "bus" / stream).iterdir())
    assert [f.name for f in files] == [f"part-{n:06d}.jsonl" for n in range(len(files))]  # nothing hidden left
    assert stats["files"] == len(files) > 1
    assert stats["records"] == len(lines(run, stream))


def test_manifest_entities_match_the_records(run, manifest):
    customers = valid_records(run, "customers")
    addresses = valid_records(run, "addresses")
    sales = valid_records(run, "sales")
    entities = manifest["entities"]
    assert len({c["customer_id"] for c in customers}) == entities["customers"] == 400
    assert (
        len(customers)
        == entities["customer_versions"]
        == 400 + sum(manifest["realities"][k] for k in ("customer_updates", "moves"))
    )
    assert len({a["address_id"] for a in addresses}) == entities["addresses"] == 400 + manifest["realities"]["moves"]
    assert (
        len(addresses)
        == entities["address_versions"]
        == entities["addresses"] + manifest["realities"]["address_updates"]
    )
    lines_by_key = Counter((s["order_id"], s["item_id"]) for s in sales)
    assert len(lines_by_key) == entities["sale_lines"] == 6000
    assert len({s["order_id"] for s in sales}) == entities["orders"]
    assert sum(n - 1 for n in lines_by_key.values()) == manifest["streams"]["sales"]["duplicates"] > 0


def test_duplicates_are_identical_redeliveries(run):
    by_key: dict[tuple, set] = {}
    for sale in valid_records(run, "sales"):
        by_key.setdefault((sale["order_id"], sale["item_id"]), set()).add(json.dumps(sale, sort_keys=True))
    assert all(len(versions) == 1 for versions in by_key.values())


def test_money_is_consistent_to_the_cent(run):
    for sale in valid_records(run, "sales"):
        m = {
            k: Decimal(v)
            for k, v in sale.items()
            if isinstance(v, str)
            and k.endswith(("_cost", "_price", "_amt", "_tax", "_paid", "_ship", "_ship_tax", "_profit"))
        }
        q = sale["quantity"]
        assert all(v == v.quantize(Decimal("0.01")) for v in m.values())
        assert m["ext_sales_price"] == q * m["sales_price"]
        assert m["ext_list_price"] == q * m["list_price"]
        assert m["ext_wholesale_cost"] == q * m["wholesale_cost"]
        assert m["ext_discount_amt"] == m["ext_list_price"] - m["ext_sales_price"]
        assert m["net_paid"] == m["ext_sales_price"] - m["coupon_amt"]
        assert m["net_paid_inc_tax"] == m["net_paid"] + m["ext_tax"]
        assert m["net_paid_inc_ship"] == m["net_paid"] + m["ext_ship_cost"]
        assert m["net_paid_inc_ship_tax"] == m["net_paid_inc_ship"] + m["ext_tax"]
        assert m["net_profit"] == m["net_paid"] - m["ext_wholesale_cost"]
        assert m["sales_price"] <= m["list_price"]
        if sale["promo_id"] is None:
            assert m["coupon_amt"] == 0


@pytest.fixture(scope="module")
def address_versions(run) -> dict[str, list[dict]]:
    versions: dict[str, list[dict]] = {}
    for address in valid_records(run, "addresses"):
        versions.setdefault(address["address_id"], []).append(address)
    return versions


def test_addresses_are_real_places_except_the_counted_unknowns(address_versions, manifest):
    unknown_zip = unknown_place = 0
    for versions in address_versions.values():
        address = min(versions, key=lambda a: millis(a["address_datetime"]))  # as created
        match = zipcodes.matching(address["zip"])
        if match:
            assert (match[0]["city"], match[0]["state"], match[0]["county"]) == (
                address["city"],
                address["state"],
                address["county"],
            )
        elif zipcodes.filter_by(city=address["city"], state=address["state"]):
            unknown_zip += 1
        else:
            unknown_place += 1
    assert unknown_zip == manifest["realities"]["unknown_zip_known_city"] > 0
    assert unknown_place == manifest["realities"]["unknown_place"] > 0


def test_sales_reference_customers_that_exist_by_then(run, manifest):
    created: dict[str, int] = {}
    for customer in valid_records(run, "customers"):
        at = millis(customer["customer_datetime"])
        created[customer["customer_id"]] = min(at, created.get(customer["customer_id"], at))
    orphan_lines = 0
    for sale in valid_records(run, "sales"):
        if sale["bill_customer_id"] not in created:
            orphan_lines += 1
            continue
        at = millis(sale["sale_datetime"])
        assert created[sale["bill_customer_id"]] < at
        assert sale["ship_customer_id"] not in created or created[sale["ship_customer_id"]] < at
    assert orphan_lines - manifest["streams"]["sales"]["duplicates"] <= manifest["realities"]["orphan_sale_lines"]
    assert orphan_lines >= manifest["realities"]["orphan_sale_lines"] > 0


def test_customer_versions_point_at_addresses_that_exist_by_then(run, address_versions):
    address_created = {
        aid: min(millis(v["address_datetime"]) for v in versions) for aid, versions in address_versions.items()
    }
    for customer in valid_records(run, "customers"):
        assert address_created[customer["address_id"]] < millis(customer["customer_datetime"])


def test_unknown_references_are_counted(run, manifest):
    items = {int(row["item_id"]) for row in csv.DictReader((run / "reference/items/items.csv").open())}
    promos = {row["promo_id"] for row in csv.DictReader((run / "reference/promos/promos.csv").open())}
    distinct = {(s["order_id"], s["item_id"]): s for s in valid_records(run, "sales")}.values()
    assert sum(s["item_id"] not in items for s in distinct) == manifest["realities"]["unknown_items"] > 0
    unknown_promos = sum(s["promo_id"] is not None and s["promo_id"] not in promos for s in distinct)
    assert unknown_promos == manifest["realities"]["unknown_promos"] > 0
    assert sum(s["promo_id"] is None for s in distinct) == manifest["realities"]["sale_lines_without_promo"]


@pytest.mark.parametrize("stream", STREAMS)
def test_delivery_keeps_time_order_up_to_the_bound_except_late_records(run, manifest, stream):
    bound = manifest["generator"]["out_of_orderness_seconds"] * 1000
    newest = None
    disordered = late = 0
    for record in valid_records(run, stream):
        at = millis(record[TIME_FIELD[stream]])
        if newest is not None and at < newest:
            disordered += 1
            late += at < newest - bound
        newest = at if newest is None else max(newest, at)
    assert disordered > 0
    assert late <= manifest["streams"][stream]["late"]
    if stream == "sales":  # dense enough that every record held back 2-5 bounds really is late
        assert late == manifest["streams"][stream]["late"] > 0


def test_reference_data_is_the_same_in_csv_and_parquet_and_valid(run):
    for table, key in (("items", "item_id"), ("promos", "promo_id")):
        parquet = pq.read_table(run / "reference" / table / f"{table}.parquet").to_pylist()
        raw = list(csv.DictReader((run / "reference" / table / f"{table}.csv").open()))
        assert [str(r[key]) for r in parquet] == [r[key] for r in raw]
        for clean, text in zip(parquet, raw):
            typed = {
                k: (v.isoformat() if isinstance(v, dt.date) else str(v) if isinstance(v, Decimal) else v)
                for k, v in clean.items()
            }
            assert not list(validator(table).iter_errors(typed))
            assert {k: str(v) for k, v in typed.items()} == text


def test_same_seed_same_data_other_seed_other_data(tmp_path, run):
    again = generate(tmp_path / "again")
    other = generate(tmp_path / "other", seed=8)
    for stream in STREAMS:
        assert lines(again, stream) == lines(run, stream)
        assert lines(other, stream) != lines(run, stream)
    for table in ("items/items.csv", "promos/promos.csv"):
        assert (again / "reference" / table).read_bytes() == (run / "reference" / table).read_bytes()


def test_clean_run_has_no_faults(tmp_path):
    root = generate(tmp_path, "--clean", customers=100, sales=1000)
    manifest = json.loads((root / "bus" / "manifest.json").read_text())
    for stream in STREAMS:
        assert all(classify(stream, line) == "valid" for line in lines(root, stream))
        stats = manifest["streams"][stream]
        assert stats["late"] == stats["out_of_order"] == sum(stats["bad"].values()) == 0
    assert manifest["realities"]["customer_updates"] > 0  # business changes stay


def test_refuses_a_bus_that_has_data_unless_told_to_overwrite(tmp_path, capsys):
    generate(tmp_path, customers=20, sales=100)
    args = [
        "--bus",
        str(tmp_path / "bus"),
        "--reference",
        str(tmp_path / "ref"),
        "--customers",
        "20",
        "--sales",
        "100",
        "--quiet",
    ]
    assert main(args) == 2
    assert "already holds" in capsys.readouterr().err
    assert main([*args, "--overwrite"]) == 0


@pytest.mark.parametrize(
    "bad_args, message",
    [
        (["--start", "yesterday"], "not an ISO-8601 timestamp"),
        (["--late-rate", "1.5"], "late rate must be within 0 and 1"),
        (["--customers", "0"], "at least 1"),
    ],
)
def test_bad_options_get_a_clear_error(tmp_path, capsys, bad_args, message):
    args = ["--bus", str(tmp_path / "bus"), "--reference", str(tmp_path / "ref"), "--quiet", *bad_args]
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_rate_paces_the_replay(tmp_path):
    started = time.monotonic()
    generate(tmp_path, "--rate", "2000", "--clean", customers=50, sales=400)
    manifest = json.loads((tmp_path / "bus" / "manifest.json").read_text())
    total = sum(s["records"] for s in manifest["streams"].values())
    assert time.monotonic() - started >= total / 2000
