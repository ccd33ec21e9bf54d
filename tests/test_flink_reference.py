"""Reference data for the sales path: CSV or Parquet (each file by its extension), each table in a
place of its own, a folder or S3 (moto's server), read again at each refresh, and the last good
snapshot kept when a refresh fails."""

from __future__ import annotations

import csv
import logging
import shutil
from pathlib import Path

import boto3
import pytest

from datagen.cli import main as datagen
from flink_app.config import ConfigError, build_config
from flink_app.reference import ReferenceDataError, ReferenceRefresher, ReferenceSource, load_snapshot, load_table


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("reference")
    assert (
        datagen(
            [
                "--bus",
                str(root / "bus"),
                "--reference",
                str(root / "ref"),
                "--customers",
                "10",
                "--sales",
                "10",
                "--items",
                "300",
                "--promos",
                "40",
                "--reference-formats",
                "csv,parquet",
                "--quiet",
            ]
        )
        == 0
    )
    return root / "ref"


def csv_rows(path: Path) -> list[dict]:
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_csv_rows_keep_the_contract_order_and_types(reference):
    items = load_table(str(reference / "items"), "items", "csv")
    first = csv_rows(reference / "items" / "items.csv")[0]
    assert items[first["item_id"]] == (int(first["item_id"]), *(first[f] or None for f in list(first)[1:]))
    promos = load_table(str(reference / "promos"), "promos", "csv")
    assert len(items) == 300 and len(promos) == 40
    promo = next(iter(promos.values()))
    assert isinstance(promo[1], str) and "." in promo[1] and isinstance(promo[2], int)  # cost: exact text


def test_parquet_gives_the_same_rows_as_csv(reference):
    for table in ("items", "promos"):
        assert load_table(str(reference / table), table, "parquet") == load_table(str(reference / table), table, "csv")


def test_reads_from_s3(reference, moto_url, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_url)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="lake")
    for table in ("items", "promos"):
        s3.upload_file(str(reference / table / f"{table}.parquet"), "lake", f"reference/{table}/part-0.parquet")
        s3.put_object(Bucket="lake", Key=f"reference/{table}/_part-1.parquet", Body=b"still being written")
    items, promos = load_snapshot(ReferenceSource("s3://lake/reference/items", "s3://lake/reference/promos"))
    assert items == load_table(str(reference / "items"), "items", "csv")
    assert promos == load_table(str(reference / "promos"), "promos", "csv")


def test_each_table_in_its_own_place_each_file_by_its_extension(reference, tmp_path):
    """Items as CSV in a raw layer, promos as Parquet in a clean layer, as a lake holds them."""
    shutil.copy(reference / "items" / "items.csv", (tmp_path / "raw").mkdir() or tmp_path / "raw" / "items.csv")
    shutil.copy(
        reference / "promos" / "promos.parquet", (tmp_path / "clean").mkdir() or tmp_path / "clean" / "p.parquet"
    )
    config = build_config(
        {
            "job": {"source": "bus"},
            "bus": {"path": "/bus"},
            "curated": {"path": "/out"},
            "reference": {"items_path": str(tmp_path / "raw"), "promos_path": str(tmp_path / "clean")},
        }
    )
    assert config.reference == ReferenceSource(str(tmp_path / "raw"), str(tmp_path / "clean"), None)
    items, promos = load_snapshot(config.reference)
    assert items == load_table(str(reference / "items"), "items", "csv")
    assert promos == load_table(str(reference / "promos"), "promos", "csv")
    with pytest.raises(ReferenceDataError, match=f"table promos: no .csv file in {tmp_path / 'clean'}/"):
        load_snapshot(ReferenceSource(str(tmp_path / "raw"), str(tmp_path / "clean"), "csv"))  # the format forced


def test_a_table_path_defaults_to_its_folder_under_the_reference_path():
    groups = {"job": {"source": "bus"}, "bus": {"path": "/bus"}, "curated": {"path": "/out"}}
    config = build_config(
        {
            **groups,
            "reference": {"path": "s3://lake/ref/", "promos_path": "s3://lake/clean/promos", "format": "parquet"},
        }
    )
    assert config.reference == ReferenceSource("s3://lake/ref/items", "s3://lake/clean/promos", "parquet")
    with pytest.raises(ConfigError, match="reference.path is required"):
        build_config({**groups, "reference": {"items_path": "/raw/items"}})


def test_missing_files_or_columns_are_clear_errors(reference, tmp_path):
    with pytest.raises(ReferenceDataError, match=f"table items: no .csv or .parquet file in {tmp_path / 'items'}/"):
        load_table(str(tmp_path / "items"), "items")
    (tmp_path / "items").mkdir()
    (tmp_path / "items" / "items.csv").write_text("item_id,brand\n1,acme\n")
    with pytest.raises(ReferenceDataError, match="lacks column"):
        load_table(str(tmp_path / "items"), "items")
    shutil.copy(reference / "items" / "items.parquet", tmp_path / "items")
    with pytest.raises(ReferenceDataError, match="holds both .csv and .parquet files; set reference.format"):
        load_table(str(tmp_path / "items"), "items")
    assert len(load_table(str(tmp_path / "items"), "items", "parquet")) == 300


def test_refresh_applies_new_data_and_keeps_the_last_good_snapshot_on_failure(reference, tmp_path, caplog):
    root = tmp_path / "ref"
    shutil.copytree(reference, root)
    source = ReferenceSource(str(root / "items"), str(root / "promos"), "csv")
    items, _ = load_snapshot(source)
    refresher = ReferenceRefresher(source)

    items_csv = root / "items" / "items.csv"
    rows = csv_rows(items_csv)
    rows[0]["brand"] = "renamed brand"
    with items_csv.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    refreshed, _ = refresher.refresh()
    assert refreshed[rows[0]["item_id"]][3] == "renamed brand"
    assert {k: v for k, v in refreshed.items() if k != rows[0]["item_id"]} == {
        k: v for k, v in items.items() if k != rows[0]["item_id"]
    }

    items_csv.unlink()  # the files are gone
    with caplog.at_level(logging.WARNING, logger="flink_app.reference"):
        assert refresher.refresh() is None
    assert refresher.failed_refreshes == 1 and "keeping the last good snapshot" in caplog.text

    items_csv.write_text("item_id,brand\n1,acme\n")  # a bad schema
    assert refresher.refresh() is None and refresher.failed_refreshes == 2


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("items.parquet", b"not parquet at all", "items.parquet is not a readable Parquet file"),
        ("items.csv", None, "items.csv, row 2, column item_id: 'abc' is not an integer"),
        ("items.csv", "latin-1", "items.csv is not UTF-8: invalid byte at offset"),
    ],
)
def test_unreadable_files_say_which_file_row_and_column(reference, tmp_path, name, content, message):
    folder = tmp_path / "items"
    folder.mkdir()
    rows = (reference / "items" / "items.csv").read_text(encoding="utf-8").splitlines()
    header, first, second = rows[0], rows[1], rows[2]
    if content is None:  # the second data row's item_id is not a number
        content = "\n".join([header, first, "abc" + second[second.index(",") :]]).encode()
    elif content == "latin-1":
        content = "\n".join([header, first.replace(first.split(",")[1], "Caf\u00e9", 1)]).encode("latin-1")
    (folder / name).write_bytes(content)
    with pytest.raises(ReferenceDataError, match=message):
        load_table(str(folder), "items")


def test_an_unreadable_table_stops_the_job_at_start_with_exit_2(reference, tmp_path):
    import subprocess
    import sys

    root = tmp_path / "ref"
    shutil.copytree(reference, root)
    for parquet in root.rglob("*.parquet"):
        parquet.unlink()
    (root / "items" / "items.csv").write_bytes("item_id\nd\u00e9j\u00e0\n".encode("latin-1"))
    bus = tmp_path / "bus"
    for stream in ("customers", "addresses", "sales"):
        (bus / stream).mkdir(parents=True)
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "flink_app",
            "--bus",
            str(bus),
            "--reference",
            str(root),
            "--out",
            str(tmp_path / "out"),
            "--bounded",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert (
        finished.returncode == 2 and "items.csv is not UTF-8" in finished.stderr and "Traceback" not in finished.stderr
    )


def test_a_fractional_parquet_integer_is_refused_not_truncated(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from flink_app.reference import ITEM_FIELDS

    folder = tmp_path / "items"
    folder.mkdir()
    columns = {name: [None, None] for name in ITEM_FIELDS} | {"item_id": [1.0, 1.5]}  # 1.0 is item 1
    pq.write_table(pa.table(columns), folder / "items.parquet")
    with pytest.raises(ReferenceDataError, match="items.parquet, row 2, column item_id: 1.5 is not an integer"):
        load_table(str(folder), "items")
