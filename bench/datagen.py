"""Generator benchmark: 20k customers and 1M sale lines to the local bus (target: under 60 s).

make bench            # or: .venv/bin/python -m bench.datagen [--customers N --sales M]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--sales", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=ROOT / ".bench" / "datagen")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "datagen",
            "--bus",
            str(args.out / "bus"),
            "--reference",
            str(args.out / "reference"),
            "--customers",
            str(args.customers),
            "--sales",
            str(args.sales),
            "--seed",
            "1",
            "--quiet",
        ],
        cwd=ROOT,
        check=True,
    )
    elapsed = time.monotonic() - started
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    manifest = json.loads((args.out / "bus" / "manifest.json").read_text())
    records = sum(s["records"] for s in manifest["streams"].values())
    size_mib = sum(f.stat().st_size for f in (args.out / "bus").rglob("*.jsonl")) / 2**20
    print(
        f"datagen: {args.customers} customers, {args.sales} sale lines -> {records} records, "
        f"{size_mib:.0f} MiB on the bus"
    )
    print(
        f"  elapsed {elapsed:.1f} s (process start included), {records / elapsed:,.0f} records/s, "
        f"peak RSS {peak_mib:.0f} MiB; target: under 60 s"
    )


if __name__ == "__main__":
    main()
