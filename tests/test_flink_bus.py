"""The bus source on Flink's MiniCluster: a stream's `*.jsonl` files in name order; hidden files,
other files and sub-folders skipped."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from pyflink.common import Duration, WatermarkStrategy
from pyflink.datastream import StreamExecutionEnvironment

from datagen.cli import main as datagen
from flink_app.bus import bus_source


@pytest.fixture(scope="module")
def bus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bus")
    assert datagen(["--bus", str(root / "bus"), "--reference", str(root / "ref"), "--customers", "200",
                    "--sales", "12000", "--records-per-file", "1000", "--late-rate", "0.01", "--quiet"]) == 0
    sales = root / "bus" / "sales"
    (sales / ".part-000099.jsonl.inprogress").write_text('{"half": \n')  # a producer still writing
    (sales / "_part-000100.jsonl").write_text("not yet\n")
    (sales / "README.txt").write_text("not a record\n")  # not *.jsonl
    (sales / "part-000200.jsonl.bak").write_text('{"a": "backup"}\n')
    (sales / "old").mkdir()
    (sales / "old" / "part-000300.jsonl").write_text('{"a": "archived"}\n')  # in a sub-folder
    (sales / "archive.jsonl").mkdir()  # a folder named like a record file
    (sales / "archive.jsonl" / "part-000400.jsonl").write_text('{"a": "archived"}\n')
    return root / "bus"


def environment() -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    env.set_python_executable(sys.executable)
    return env


def test_reads_the_files_in_name_order_whatever_the_listing_order(bus):
    sales = bus / "sales"
    expected = [line for f in sorted(sales.glob("part-*.jsonl")) if f.is_file() for line in f.read_text().splitlines()]
    assert len(os.listdir(sales)) > 10
    env = environment()
    stream = env.from_source(bus_source(env, sales), WatermarkStrategy.no_watermarks(), "sales")
    with stream.execute_and_collect() as lines:
        assert list(lines) == expected


def test_watching_makes_an_unbounded_source(bus):
    env = environment()
    watching = bus_source(env, bus / "sales", watch_every=Duration.of_millis(500))
    bounded = bus_source(env, bus / "sales")
    assert str(watching.get_java_function().getBoundedness()) == "CONTINUOUS_UNBOUNDED"
    assert str(bounded.get_java_function().getBoundedness()) == "BOUNDED"
