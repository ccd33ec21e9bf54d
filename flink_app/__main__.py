"""`python -m flink_app`: the job (docs/contract.md §5). Settings come from the MSF property groups
(`--properties`, by default /etc/flink/application_properties.json where it exists); the options
below override them for a local run."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

from flink_app.config import (
    MSF_PROPERTIES,
    STREAMS,
    BusSettings,
    ConfigError,
    JobConfig,
    build_config,
    read_property_groups,
)
from flink_app.java_helper import MissingHelperJar
from flink_app.reference import ReferenceDataError, load_snapshot

# option -> (property group, key)
OVERRIDES = {
    "bus": ("bus", "path"),
    "bounded": ("bus", "bounded"),
    "reference": ("reference", "path"),
    "reference_format": ("reference", "format"),
    "out": ("curated", "path"),
    "parallelism": ("job", "parallelism"),
    "out_of_orderness": ("job", "out_of_orderness_seconds"),
    "dedup_window": ("job", "dedup_window_hours"),
    "checkpoint_interval": ("job", "checkpoint_interval_seconds"),
    "checkpoint_dir": ("job", "checkpoint_dir"),
    "from_checkpoint": ("job", "restore_from"),
    "geocoder_url": ("geocoder", "url"),
    "opensearch_url": ("opensearch", "url"),
}


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m flink_app", description=__doc__)
    parser.add_argument(
        "--properties", type=Path, help=f"MSF application_properties.json (default: {MSF_PROPERTIES} if it exists)"
    )
    parser.add_argument("--bus", help="the local bus folder (<bus>/<stream>/*.jsonl); sets the source to the bus")
    parser.add_argument("--reference", help="reference data: a folder or s3:// URI holding items/ and promos/")
    parser.add_argument(
        "--reference-format",
        choices=("csv", "parquet"),
        help="read only reference files of this format (default: each file by its extension)",
    )
    parser.add_argument("--out", help="curated output: a folder or s3:// URI (orders/ and dlq/ under it)")
    parser.add_argument(
        "--bounded",
        action="store_const",
        const="true",
        help="read what the bus holds, commit the output and exit (default: keep watching)",
    )
    parser.add_argument("--parallelism", type=int)
    parser.add_argument("--out-of-orderness", type=float, metavar="SECONDS", help="event-time bound (default 60)")
    parser.add_argument("--dedup-window", type=float, metavar="HOURS", help="duplicate sale lines window (default 24)")
    parser.add_argument("--checkpoint-interval", type=float, metavar="SECONDS", help="default 10")
    parser.add_argument("--checkpoint-dir", help="where checkpoints are kept (retained when the job stops)")
    parser.add_argument("--from-checkpoint", metavar="PATH", help="resume from this checkpoint or savepoint")
    parser.add_argument(
        "--geocoder-url",
        metavar="URL",
        help="the geocoding API (docs/contract.md §6), e.g. the one "
        "`python -m geocoder_lambda.serve` prints; without it addresses are not geocoded",
    )
    parser.add_argument(
        "--opensearch-url",
        metavar="URL",
        help="also index the orders into this OpenSearch "
        "cluster (its write alias, set up by `python -m opensearch_setup`)",
    )
    return parser.parse_args(argv)


def load_config(arguments: argparse.Namespace) -> JobConfig:
    properties = arguments.properties or (MSF_PROPERTIES if MSF_PROPERTIES.is_file() else None)
    groups = read_property_groups(properties) if properties else {}
    for option, (group, key) in OVERRIDES.items():
        value = getattr(arguments, option)
        if value is not None:
            groups.setdefault(group, {})[key] = str(value)
    if arguments.bus is not None:
        groups.setdefault("job", {})["source"] = "bus"
    return build_config(groups)


def check_bus_folders(bus: BusSettings) -> None:
    """The bus and each stream's folder exist (Flink would only find out after minutes of restarts)."""
    if not bus.path.is_dir():
        raise ConfigError(f"the bus folder {bus.path} does not exist")
    for stream in STREAMS:
        folder = bus.path / stream
        if not folder.is_dir():
            raise ConfigError(
                f"the bus has no folder {folder} for the {stream} stream"
                + (
                    ""
                    if bus.bounded
                    else "; create it (empty is fine): a watching run then reads the files that arrive in it"
                )
            )


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("flink_app").setLevel(logging.INFO)
    try:
        config = load_config(parse_arguments(argv))
        if config.bus is not None:
            check_bus_folders(config.bus)
        # The job starts with this snapshot; without one it cannot start.
        reference = load_snapshot(config.reference)
    except (ConfigError, ReferenceDataError, OSError) as error:
        print(f"flink_app: configuration error: {error}", file=sys.stderr)
        return 2
    from flink_app.pipeline import build  # imports PyFlink, which starts slowly: after the checks
    from flink_app.summary import summarise

    scratch = None
    if config.checkpoint_dir is None and config.bus is not None:
        # Checkpoints need a filesystem (state over 5 MB does not fit the in-memory storage); MSF
        # provides its own, a local run without --checkpoint-dir gets a temporary folder.
        scratch = tempfile.mkdtemp(prefix="streaming-orders-checkpoints-")
        config = dataclasses.replace(config, checkpoint_dir=Path(scratch).as_uri())

    try:
        _, statements = build(config, reference)
    except MissingHelperJar as error:
        print(f"flink_app: {error}", file=sys.stderr)
        return 2
    started = time.monotonic()
    job = statements.execute()
    if config.msf:  # MSF runs the submitted job; the entry point returns
        return 0
    if not config.bounded:
        job.wait()
        return 0
    result = job.get_job_client().get_job_execution_result().result()
    elapsed = time.monotonic() - started
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    if config.curated_path.startswith("s3://"):
        print(f"bounded run finished in {elapsed:.1f} s; output in {config.curated_path}")
    else:
        print(summarise(Path(config.curated_path), elapsed, result.get_all_accumulator_results()).report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
