"""Validation benchmark: records/s of the job's record validator (the Java ValidateRecords) on the
same records, for this checkout and for an earlier commit, side by side in one JVM.

    .venv/bin/python -m bench.validation [--before REV] [--customers N] [--sales N] [--rounds N]

The records are one datagen dataset's three streams (bad records included, at datagen's default
rate), read into memory first. The earlier commit's job jar is built once in a git worktree under
build/bench-validation/ (kept for the next run); each build validates with its own copy of the
contract (its flink_app/records.py). The two builds parse all records in turn, `--rounds` times
after two rounds of warm-up, in alternating order (of two identical builds the second runs about 5%
slower); the medians and their ratio are printed. Validation alone: no Flink runtime, source or sink.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from datagen.cli import main as datagen

ROOT = Path(__file__).resolve().parent.parent
JAR = Path("java/flink-job/target/streaming-orders-flink.jar")
STREAMS = ("customers", "addresses", "sales")
# Prints each stream's validator arguments as the checkout in the working folder builds them.
VALIDATOR_ARGUMENTS = """
import json
from flink_app.records import decimal_digits
from flink_app.records import EVENT_TIME, FIELDS, REQUIRED
print(json.dumps({s: {"names": list(f), "kinds": list(f.values()), "required": list(REQUIRED[s]),
                      "event_time": EVENT_TIME[s],
                      "precisions": [decimal_digits(n)[0] if k == "decimal" else 0 for n, k in f.items()],
                      "scales": [decimal_digits(n)[1] if k == "decimal" else 0 for n, k in f.items()]}
                  for s, f in FIELDS.items()}))
"""


def checkout_of(rev: str) -> Path:
    """A worktree of `rev` with its job jar built."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    tree = ROOT / "build" / "bench-validation" / commit
    if not tree.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), commit], cwd=ROOT, check=True)
    if not (tree / JAR).exists():
        print(f"building the job jar of {commit} ...", file=sys.stderr)
        subprocess.run(
            [
                str(ROOT / "java" / "mvnw"),
                "--quiet",
                "--file",
                str(tree / "java" / "pom.xml"),
                "package",
                "-DskipTests",
            ],
            check=True,
        )
    return tree


def validator_arguments(checkout: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", VALIDATOR_ARGUMENTS], cwd=checkout, check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout)


def flink_classpath() -> str:
    import pyflink

    return str(Path(pyflink.__file__).parent / "lib" / "*")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.validation", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", default="99e1098", help="the earlier commit (default: before issue 22's fixes)")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--sales", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch)
        assert (
            datagen(
                [
                    "--bus",
                    str(data / "bus"),
                    "--reference",
                    str(data / "ref"),
                    "--customers",
                    str(args.customers),
                    "--sales",
                    str(args.sales),
                    "--seed",
                    "7",
                    "--quiet",
                ]
            )
            == 0
        )
        records = {}
        for stream in STREAMS:
            lines = data / f"{stream}.jsonl"
            with lines.open("wb") as out:
                for part in sorted((data / "bus" / stream).glob("*.jsonl")):
                    out.write(part.read_bytes())
            records[stream] = str(lines)
        before = checkout_of(args.before)
        builds = [
            {"label": f"before ({args.before})", "jar": str(before / JAR), "validators": validator_arguments(before)},
            {"label": "now", "jar": str(ROOT / JAR), "validators": validator_arguments(ROOT)},
        ]
        spec = data / "spec.json"
        spec.write_text(json.dumps({"records": records, "builds": builds, "warmup": 2, "rounds": args.rounds}))
        done = subprocess.run(
            ["java", "-cp", flink_classpath(), str(ROOT / "bench" / "ValidationBench.java"), str(spec)],
            check=True,
            capture_output=True,
            text=True,
        )

    rounds = [json.loads(line) for line in done.stdout.splitlines()]
    medians = {}
    for build in builds:
        mine = [r for r in rounds if r["label"] == build["label"]]
        rates = [r["records"] / r["seconds"] for r in mine]
        medians[build["label"]] = statistics.median(rates)
        print(
            f"{build['label']:<22} {statistics.median(rates):>12,.0f} records/s (median of {len(rates)}; "
            f"{mine[0]['records']:,} records, {mine[0]['dead']:,} dead letters)"
        )
    before_rate, now_rate = medians.values()
    print(f"{'ratio now / before':<22} {now_rate / before_rate:>12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
