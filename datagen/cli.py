"""`python -m datagen`: generate events to the local bus or to Kinesis, and the reference data."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from datagen.bus import STREAMS, BusError, BusWriter
from datagen.clock import parse
from datagen.config import GeneratorConfig, Realities
from datagen.generate import Generation, generate, write_reference
from datagen.kinesis import KinesisError, KinesisWriter

_REALITY_HELP = {
    "customer_updates": "probability that a customer gets an(other) update (repeated: geometric)",
    "moves": "share of customers who move once to a new address",
    "address_updates": "share of addresses corrected once (street or location type)",
    "out_of_order": "share of records delivered late but within the out-of-orderness bound",
    "late": "share of records delivered 2-5 bounds late",
    "duplicates": "share of sale lines delivered twice",
    "orphans": "share of orders whose bill customer never arrives",
    "bad": "per record, probability of an extra bad record (invalid JSON, missing field, wrong type)",
    "unknown_addresses": "share of addresses with a ZIP code that does not exist",
    "unknown_references": "share of sale lines whose item or promo is not in the reference data",
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m datagen",
        description="Generate customer, address and sales events (docs/contract.md) with the realities "
        "a streaming job must survive, to the local bus or to Kinesis, plus the items "
        "and promos reference data and a manifest of what was injected.",
    )
    out = p.add_argument_group("output")
    out.add_argument("--bus", type=Path, help="local bus directory: <bus>/<stream>/part-NNNNNN.jsonl")
    out.add_argument(
        "--reference",
        type=Path,
        required=True,
        help="directory for the reference data: <reference>/items|promos/*.csv|*.parquet",
    )
    out.add_argument(
        "--reference-formats",
        default="csv",
        help="comma-separated: csv (raw layer), parquet (clean layer) (default: csv; with both, "
        "the job needs reference.format to choose)",
    )
    out.add_argument(
        "--manifest",
        type=Path,
        help="where to write the manifest JSON (default: <bus>/manifest.json; none for Kinesis)",
    )
    out.add_argument("--records-per-file", type=int, default=100_000, help="bus file size (default 100000)")
    out.add_argument("--overwrite", action="store_true", help="empty the bus's stream folders first")
    out.add_argument("--kinesis", action="store_true", help="send to Kinesis instead of the bus")
    for stream in STREAMS:
        out.add_argument(
            f"--{stream}-stream",
            default=stream,
            metavar="NAME",
            help=f"Kinesis stream for {stream} (default: {stream})",
        )
    out.add_argument("--region", help="AWS region (default: from the AWS configuration)")
    out.add_argument("--rate", type=float, help="replay at this many events/s (default: as fast as possible)")
    out.add_argument("--quiet", action="store_true", help="no progress bar or summary")

    size = p.add_argument_group("what to generate")
    size.add_argument("--customers", type=int, default=1000, help="customers (default 1000)")
    size.add_argument("--sales", type=int, default=10_000, help="sale lines (default 10000)")
    size.add_argument("--items", type=int, default=2000, help="items in the reference data (default 2000)")
    size.add_argument("--promos", type=int, default=300, help="promotions (default 300)")
    size.add_argument("--seed", type=int, default=1, help="the same seed gives the same data (default 1)")
    size.add_argument("--start", default="2026-11-01T00:00:00Z", help="start of the period (ISO-8601)")
    size.add_argument("--days", type=float, default=7.0, help="length of the period in days (default 7)")
    size.add_argument(
        "--out-of-orderness",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="the bound within which disorder is injected; later is late (default 60)",
    )

    rates = p.add_argument_group("realities (probabilities; defaults in brackets)")
    defaults = Realities()
    for name, text in _REALITY_HELP.items():
        rates.add_argument(
            f"--{name.replace('_', '-')}-rate",
            dest=name,
            type=float,
            default=getattr(defaults, name),
            help=f"{text} [{getattr(defaults, name)}]",
        )
    rates.add_argument(
        "--clean",
        action="store_true",
        help="switch off every fault (disorder, late, duplicates, orphans, bad, unknowns); updates and moves stay",
    )
    return p


def config_from(args: argparse.Namespace) -> GeneratorConfig:
    realities = Realities(**{name: getattr(args, name) for name in _REALITY_HELP})
    if args.clean:
        realities = realities.clean()
    try:
        start = parse(args.start)
    except ValueError:
        raise ValueError(f"--start {args.start!r} is not an ISO-8601 timestamp") from None
    return GeneratorConfig(
        customers=args.customers,
        sales=args.sales,
        seed=args.seed,
        items=args.items,
        promos=args.promos,
        start=start,
        days=args.days,
        out_of_orderness_seconds=args.out_of_orderness,
        realities=realities,
    )


def pump(generation: Generation, write, rate: float | None, quiet: bool) -> Counter:
    """Feeds every delivery to `write`, paced to `rate` events/s if given; counts them per stream."""
    delivered: Counter = Counter()
    started = time.monotonic()
    progress = None
    if not quiet and sys.stderr.isatty():
        from tqdm import tqdm

        progress = tqdm(total=generation.expected_records, unit=" events", unit_scale=True, file=sys.stderr)
    for count, delivery in enumerate(generation.deliveries, 1):
        write(delivery)
        delivered[delivery.stream] += 1
        if count % 1000 == 0:
            if progress is not None:
                progress.update(1000)
        if rate and count % 10 == 0:
            ahead = started + count / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    if progress is not None:
        progress.close()
    return delivered


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not args.kinesis and args.bus is None:
        p.error("give --bus DIR, or --kinesis")
    formats = [f.strip() for f in args.reference_formats.split(",") if f.strip()]
    if not formats or set(formats) - {"csv", "parquet"}:
        p.error("--reference-formats takes csv, parquet or both")
    if args.records_per_file < 1 or (args.rate is not None and args.rate <= 0):
        p.error("--records-per-file and --rate must be positive")
    try:
        cfg = config_from(args)
        started = time.monotonic()
        generation = generate(cfg)
        reference_files = write_reference(cfg, args.reference, formats)
        files = None
        if args.kinesis:
            writer = KinesisWriter(_kinesis_client(args), {s: getattr(args, f"{s}_stream") for s in STREAMS})
            delivered = pump(generation, writer.write, args.rate, args.quiet)
            writer.close()
            manifest_path = args.manifest
        else:
            bus = BusWriter(
                args.bus, args.records_per_file, roll_seconds=2.0 if args.rate else None, overwrite=args.overwrite
            )
            delivered = pump(generation, bus.write, args.rate, args.quiet)
            files = {stream: stats["files"] for stream, stats in bus.close().items()}
            manifest_path = args.manifest or args.bus / "manifest.json"
    except (ValueError, BusError, KinesisError) as error:
        print(f"datagen: {error}", file=sys.stderr)
        return 2
    elapsed = time.monotonic() - started
    manifest = generation.manifest(delivered, files, reference_files)
    if manifest_path is not None:
        manifest_path.parent.mkdir(parents=True, exist_ok=True)
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    if not args.quiet:
        total = sum(delivered.values())
        target = "Kinesis" if args.kinesis else str(args.bus)
        print(
            f"datagen: {total} records to {target} in {elapsed:.1f} s ({total / max(elapsed, 1e-9):,.0f}/s): "
            + ", ".join(f"{s} {delivered[s]}" for s in STREAMS)
            + (f"; manifest {manifest_path}" if manifest_path else ""),
            file=sys.stderr,
        )
    return 0


def _kinesis_client(args: argparse.Namespace):
    import boto3

    # the endpoint as every AWS SDK finds it: AWS_ENDPOINT_URL_KINESIS or AWS_ENDPOINT_URL (an emulator)
    return boto3.client("kinesis", region_name=args.region)
