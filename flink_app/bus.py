"""The local bus as a Flink source (CONTRACT.md §5): one stream's folder of JSON-lines files.

A stream's records are the `*.jsonl` files directly in its folder, read in name order (the
producer names them so that name order is time order); hidden files (`.` or `_` first: still being
written), other files and sub-folders are not read. The source either reads what is there and
ends, or keeps watching the folder for new files.
"""

from __future__ import annotations

from pathlib import Path

from pyflink.common import Duration
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.connectors.file_system import (FileEnumeratorProvider, FileSource, FileSplitAssignerProvider,
                                                       StreamFormat)

from flink_app.java_helper import add_helper_jar, helper


def bus_source(env: StreamExecutionEnvironment, folder: Path, watch_every: Duration | None = None) -> FileSource:
    """The lines of `folder`'s files in name order; bounded unless `watch_every` is given."""
    builder = FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(folder))
    builder = builder.monitor_continuously(watch_every) if watch_every else builder.process_static_file_set()
    add_helper_jar(env)  # also lets the client JVM below load the helper's classes
    name_order = helper().NameOrderSplitAssigner.provider()
    record_files = helper().JsonLinesFiles.provider(str(folder))
    return (builder.set_file_enumerator(FileEnumeratorProvider(record_files))
            .set_split_assigner(FileSplitAssignerProvider(name_order)).build())
