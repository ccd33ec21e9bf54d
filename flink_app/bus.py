"""The local bus as a Flink source (docs/contract.md §5): one stream's folder of JSON-lines files.

A stream's records are the lines of the `*.jsonl` files directly in its folder, read in name order
(the producer names them so that name order is time order); hidden files (`.` or `_` first: still
being written), other files and sub-folders are not read. A line ends at LF (CRLF too); a lone CR
is data. Lines come as bytes (the helper's JsonLinesFormat), for validation to decode. The source
either reads what is there and ends, or keeps watching the folder for new files.
"""

from __future__ import annotations

from pathlib import Path

from pyflink.common import Duration
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.connectors.file_system import FileSource

from flink_app.java_helper import add_helper_jar, json_lines_format, name_order, record_files


def bus_source(env: StreamExecutionEnvironment, folder: Path, watch_every: Duration | None = None) -> FileSource:
    """The lines of `folder`'s files in name order, as bytes; bounded unless `watch_every` is given."""
    add_helper_jar(env)  # also lets the client JVM load the helper's classes
    folder = folder.absolute()  # the enumerator lists absolute paths and compares them with the folder
    builder = FileSource.for_record_stream_format(json_lines_format(), str(folder))
    builder = builder.monitor_continuously(watch_every) if watch_every else builder.process_static_file_set()
    return builder.set_file_enumerator(record_files(folder)).set_split_assigner(name_order()).build()
