"""Reference data for the sales path: CSV or Parquet, a folder or S3 (moto's server), read again at
each refresh, and the last good snapshot kept when a refresh fails."""

from __future__ import annotations

import csv
import logging
import shutil
from pathlib import Path

import boto3
import pytest

from datagen.cli import main as datagen
from flink_app.reference import ReferenceError, ReferenceRefresher, load_snapshot, load_table


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("reference")
    assert datagen(["--bus", str(root / "bus"), "--reference", str(root / "ref"), "--customers", "10",
                    "--sales", "10", "--items", "300", "--promos", "40", "--quiet"]) == 0
    return root / "ref"


def csv_rows(path: Path) -> list[dict]:
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_csv_rows_keep_the_contract_order_and_types(reference):
    items = load_table(str(reference), "items", "csv")
    first = csv_rows(reference / "items" / "items.csv")[0]
    assert items[first["item_id"]] == (int(first["item_id"]), *(first[f] or None for f in list(first)[1:]))
    promos = load_table(str(reference), "promos", "csv")
    assert len(items) == 300 and len(promos) == 40
    promo = next(iter(promos.values()))
    assert isinstance(promo[1], str) and "." in promo[1] and isinstance(promo[2], int)  # cost: exact text


def test_parquet_gives_the_same_rows_as_csv(reference):
    for table in ("items", "promos"):
        assert load_table(str(reference), table, "parquet") == load_table(str(reference), table, "csv")


def test_reads_from_s3(reference, moto_url, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_url)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="lake")
    for table in ("items", "promos"):
        s3.upload_file(str(reference / table / f"{table}.parquet"), "lake", f"reference/{table}/part-0.parquet")
        s3.put_object(Bucket="lake", Key=f"reference/{table}/_part-1.parquet", Body=b"still being written")
    items, promos = load_snapshot("s3://lake/reference", "parquet")
    assert items == load_table(str(reference), "items", "csv")
    assert promos == load_table(str(reference), "promos", "csv")


def test_missing_files_or_columns_are_clear_errors(reference, tmp_path):
    with pytest.raises(ReferenceError, match="no csv files in"):
        load_table(str(tmp_path), "items", "csv")
    (tmp_path / "items").mkdir()
    (tmp_path / "items" / "items.csv").write_text("item_id,brand\n1,acme\n")
    with pytest.raises(ReferenceError, match="lacks column"):
        load_table(str(tmp_path), "items", "csv")


def test_refresh_applies_new_data_and_keeps_the_last_good_snapshot_on_failure(reference, tmp_path, caplog):
    root = tmp_path / "ref"
    shutil.copytree(reference, root)
    items, _ = load_snapshot(str(root), "csv")
    refresher = ReferenceRefresher(str(root), "csv")

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
        k: v for k, v in items.items() if k != rows[0]["item_id"]}

    items_csv.unlink()  # the files are gone
    with caplog.at_level(logging.WARNING, logger="flink_app.reference"):
        assert refresher.refresh() is None
    assert refresher.failed_refreshes == 1 and "keeping the last good snapshot" in caplog.text

    items_csv.write_text("item_id,brand\n1,acme\n")  # a bad schema
    assert refresher.refresh() is None and refresher.failed_refreshes == 2
