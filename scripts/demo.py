"""The local demo (`make demo`): generate a week of events onto the local bus, serve the geocoder on
127.0.0.1 and geocode the generated addresses through it, and show what came out."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / ".demo"
BUS, REFERENCE = DEMO / "bus", DEMO / "reference"
GEOCODABLE = ("street", "city", "county", "state", "zip", "country")


def generate() -> dict:
    subprocess.run([sys.executable, "-m", "datagen", "--bus", str(BUS), "--reference", str(REFERENCE),
                    "--customers", "2000", "--sales", "50000", "--seed", "42", "--overwrite"],
                   cwd=ROOT, check=True)
    return json.loads((BUS / "manifest.json").read_text())


def show_bus(manifest: dict) -> None:
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


def address_versions() -> list[dict]:
    versions = []
    for path in sorted((BUS / "addresses").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a bad record the generator injected; the job sends these to dead letters
            if isinstance(record, dict) and isinstance(record.get("address_id"), str):
                versions.append(record)
    return versions


def geocode_through_the_server(versions: list[dict]) -> None:
    server = subprocess.Popen([sys.executable, "-m", "geocoder_lambda.serve", "--port", "0"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        url = json.loads(server.stdout.readline())["geocoder"] + "/geocode"
        print(f"\nGeocoder served on {url} (offline provider); geocoding {len(versions)} address versions:")
        results = []
        for start in range(0, len(versions), 100):
            batch = [{"id": str(start + i), **{f: v.get(f) if isinstance(v.get(f), str) else None for f in GEOCODABLE}}
                     for i, v in enumerate(versions[start:start + 100])]
            request = urllib.request.Request(url, data=json.dumps({"addresses": batch}).encode(),
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                results += json.loads(response.read())["results"]
    finally:
        server.terminate()
        server.wait(timeout=10)
    kinds = Counter((r["status"], r["precision"]) for r in results)
    print("  " + ", ".join(f"{status}{f' ({precision})' if precision else ''} {n}"
                           for (status, precision), n in kinds.most_common()))
    sample = next(i for i, r in enumerate(results) if r["status"] == "ok")
    where = versions[sample]
    print(f"  e.g. {where['street']}, {where['city']}, {where['state']} {where['zip']} -> "
          f"{results[sample]['location']} ({results[sample]['precision']})")


if __name__ == "__main__":
    show_bus(generate())
    geocode_through_the_server(address_versions())
    print("\nThe Flink job that joins these into order documents is not built yet; see the README's status.")
