"""Geocoder benchmark: warm throughput with the offline provider in 100-address batches
(target >= 20,000 addresses/s), cold start of the handler module (target <= 1 s), and the size of
the function `sam build` makes (target <= 20 MB unzipped).

    .venv/bin/python -m bench.geocoder
"""

from __future__ import annotations

import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 100


def addresses(count: int, seed: int = 1) -> list[dict]:
    """Distinct realistic addresses: real places, some with unknown ZIP codes (as the generator makes)."""
    from datagen.places import us_places

    rng = random.Random(seed)
    places = us_places()
    out = []
    for i in range(count):
        place = rng.choice(places)
        zip_code = place.zip if rng.random() > 0.02 else "00000"
        out.append(
            {
                "id": f"A{i:08d}",
                "street": f"{rng.randint(1, 9999)} Main St",
                "city": place.city,
                "county": place.county,
                "state": place.state,
                "zip": zip_code,
                "country": "United States",
            }
        )
    return out


def warm_throughput(count: int) -> tuple[float, float]:
    """addresses/s through the handler: distinct addresses (LRU misses), then the same again (hits)."""
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    from geocoder_lambda.app import handler
    from geocoder_lambda.serve import LocalContext

    template = json.loads((ROOT / "events" / "geocoder" / "function_url_batch.json").read_text())
    events = [
        dict(template, body=json.dumps({"addresses": chunk}))
        for chunk in (addresses(count)[i : i + BATCH] for i in range(0, count, BATCH))
    ]
    handler(events[0], LocalContext())  # the container is warm: the chain is built
    figures = []
    for _ in range(2):
        started = time.perf_counter()
        for event in events:
            assert handler(event, LocalContext())["statusCode"] == 200
        figures.append(count / (time.perf_counter() - started))
    return figures[0], figures[1]


def cold_start(runs: int = 5) -> tuple[float, float]:
    """Median seconds to import the handler module (and build its chain), and of the whole process."""
    code = "import time; t = time.perf_counter(); import geocoder_lambda.app; print(time.perf_counter() - t)"
    imports, processes = [], []
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        processes.append(time.perf_counter() - started)
        imports.append(float(out.stdout))
    return statistics.median(imports), statistics.median(processes)


def built_size() -> tuple[float, float]:
    """MB of the function built by `sam build`: unzipped, and zipped as deployed."""
    with tempfile.TemporaryDirectory() as work:
        subprocess.run(
            [
                Path(sys.executable).parent / "sam",
                "build",
                "--template-file",
                ROOT / "template.yaml",
                "--build-dir",
                Path(work) / "build",
            ],
            cwd=work,
            check=True,
            capture_output=True,
            env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        )
        function = Path(work) / "build" / "GeocoderFunction"
        files = [f for f in function.rglob("*") if f.is_file()]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for f in files:
                archive.write(f, f.relative_to(function))
        return sum(f.stat().st_size for f in files) / 1e6, buffer.tell() / 1e6


def main() -> None:
    distinct, repeated = warm_throughput(20_000)
    print(f"geocoder warm throughput, offline provider, {BATCH}-address batches through the handler:")
    print(
        f"  distinct addresses {distinct:,.0f}/s; the same addresses again (LRU hits) {repeated:,.0f}/s;"
        " target >= 20,000/s"
    )
    imports, process = cold_start()
    print(
        f"cold start: import and chain build {imports:.2f} s (median of 5; whole process {process:.2f} s);"
        " target <= 1 s"
    )
    unzipped, zipped = built_size()
    print(f"sam build: {unzipped:.1f} MB unzipped, {zipped:.1f} MB zipped; target <= 20 MB unzipped")


if __name__ == "__main__":
    main()
