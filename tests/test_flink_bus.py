"""The bus source on Flink's MiniCluster: a stream's `*.jsonl` files in name order, their lines as
bytes (ended by LF, a lone CR kept); hidden files, other files and sub-folders skipped."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from unittest.mock import patch

import pytest
from pyflink.common import Duration, Types, WatermarkStrategy
from pyflink.datastream import StreamExecutionEnvironment

from datagen.cli import main as datagen
from flink_app.bus import bus_source
from tests.support.order_oracle import bus_records


@pytest.fixture(scope="module")
def bus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bus")
    assert (
        datagen(
            [
                "--bus",
                str(root / "bus"),
                "--reference",
                str(root / "ref"),
                "--customers",
                "200",
                "--sales",
                "12000",
                "--records-per-file",
                "1000",
                "--late-rate",
                "0.01",
                "--quiet",
            ]
        )
        == 0
    )
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
    expected = [line for f in sorted(sales.glob("part-*.jsonl")) if f.is_file() for line in bus_records(f)]
    assert len(os.listdir(sales)) > 10
    assert read(sales) == expected


def test_a_folder_given_relative_to_the_working_directory_is_read_all_the_same(tmp_path, monkeypatch):
    sales = tmp_path / "sales"
    sales.mkdir()
    for n in (2, 10, 1):
        (sales / f"part-{n:03d}.jsonl").write_text(f'{{"file": {n}, "line": 1}}\n{{"file": {n}, "line": 2}}\n')
    monkeypatch.chdir(tmp_path)
    assert read(Path("sales")) == [f'{{"file": {n}, "line": {i}}}'.encode() for n in (1, 2, 10) for i in (1, 2)]


def read(folder: Path) -> list[bytes]:
    env = environment()
    stream = env.from_source(bus_source(env, folder), WatermarkStrategy.no_watermarks(), folder.name)
    # As hex text: collecting a byte[] takes a Py4J call per byte. The map runs in this process and
    # marks its environment (PYFLINK_GATEWAY_DISABLED), which the jobs later tests start would inherit.
    with patch.dict(os.environ), stream.map(bytes.hex, output_type=Types.STRING()).execute_and_collect() as lines:
        return [bytes.fromhex(line) for line in lines]


def test_a_line_ends_at_lf_and_its_bytes_come_as_written(tmp_path):
    """CRLF and LF endings; a lone CR, bytes that are not UTF-8 and empty lines are data; lines
    longer than the reader's 64 KiB buffer, and a CRLF split across its end; a last line without LF."""
    folder = tmp_path / "sales"
    folder.mkdir()
    long_line = b'{"a": "' + b"x" * 70_000 + b'"}'
    (folder / "part-1.jsonl").write_bytes(
        b'{"a": 1}\r\n{"b":\r 2}\n\n{"c": "\xff\xfe"}\r\n\r\r\n'
        + long_line
        + b"\n"
        + b"y" * (65_536 - 1 - 8)
        + b"\r\n"
        + b"z\r"
    )
    (folder / "part-2.jsonl").write_bytes(b"\r\n".join([long_line] * 3) + b"\r\n")
    records = read(folder)
    assert records == bus_records(folder / "part-1.jsonl") + bus_records(folder / "part-2.jsonl")
    assert records[:6] == [b'{"a": 1}', b'{"b":\r 2}', b"", b'{"c": "\xff\xfe"}', b"\r", long_line]
    assert records[6:] == [b"y" * (65_536 - 9), b"z\r", long_line, long_line, long_line]


def test_watching_makes_an_unbounded_source(bus):
    env = environment()
    watching = bus_source(env, bus / "sales", watch_every=Duration.of_millis(500))
    bounded = bus_source(env, bus / "sales")
    assert str(watching.get_java_function().getBoundedness()) == "CONTINUOUS_UNBOUNDED"
    assert str(bounded.get_java_function().getBoundedness()) == "BOUNDED"
