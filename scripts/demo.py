"""The local demo (`make demo`): generate a week of events onto the local bus and show what was written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / ".demo"
BUS, REFERENCE = DEMO / "bus", DEMO / "reference"


def generate() -> dict:
    subprocess.run([sys.executable, "-m", "datagen", "--bus", str(BUS), "--reference", str(REFERENCE),
                    "--customers", "2000", "--sales", "50000", "--seed", "42", "--overwrite"],
                   cwd=ROOT, check=True)
    return json.loads((BUS / "manifest.json").read_text())


def show(manifest: dict) -> None:
    print(f"\nLocal bus {BUS.relative_to(ROOT)}:")
    print(f"  {'stream':<10} {'records':>8} {'files':>6} {'bad':>5} {'late':>5} {'disordered':>10}")
    for stream, s in manifest["streams"].items():
        print(f"  {stream:<10} {s['records']:>8} {s['files']:>6} {sum(s['bad'].values()):>5} "
              f"{s['late']:>5} {s['out_of_order']:>10}")
    print("\nInjected realities: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in manifest["realities"].items()))
    print("Entities: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in manifest["entities"].items()))
    print(f"Reference data: {REFERENCE.relative_to(ROOT)}/items|promos/*.csv|*.parquet")
    for stream in manifest["streams"]:
        first = sorted((BUS / stream).glob("*.jsonl"))[0]
        print(f"\nA {stream} record ({first.relative_to(ROOT)}):\n  {first.open().readline().strip()}")
    print("\nThe Flink job that joins these into order documents is not built yet; see the README's status.")


if __name__ == "__main__":
    show(generate())
