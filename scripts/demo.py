"""The local demo (`make demo`): generate a week of events onto the local bus, serve the geocoder on
127.0.0.1, start the local OpenSearch node and bootstrap it, run the job bounded on Flink's
MiniCluster, geocoding through it and indexing into OpenSearch as the writer role (the job's
summary, a few order documents, where their addresses were placed, the count indexed, a document
as the analyst role sees it, and a map of the orders by ship location)."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from opensearch_setup.bootstrap import READ_ALIAS, InternalUser, Parameters, bootstrap
from opensearch_setup.http import Auth, JsonHttp
from opensearch_setup.local import LocalCluster, running
from opensearch_setup.order_map import write_map

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / ".demo"
BUS, REFERENCE, OUT = DEMO / "bus", DEMO / "reference", DEMO / "out"


def generate() -> dict:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "datagen",
            "--bus",
            str(BUS),
            "--reference",
            str(REFERENCE),
            "--customers",
            "2000",
            "--sales",
            "50000",
            "--seed",
            "42",
            "--overwrite",
        ],
        cwd=ROOT,
        check=True,
    )
    return json.loads((BUS / "manifest.json").read_text())


def show_bus(manifest: dict) -> None:
    print(f"\nLocal bus {BUS.relative_to(ROOT)}:")
    print(f"  {'stream':<10} {'records':>8} {'files':>6} {'bad':>5} {'late':>5} {'disordered':>10}")
    for stream, s in manifest["streams"].items():
        print(
            f"  {stream:<10} {s['records']:>8} {s['files']:>6} {sum(s['bad'].values()):>5} "
            f"{s['late']:>5} {s['out_of_order']:>10}"
        )
    print("\nInjected realities: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in manifest["realities"].items()))
    print("Entities: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in manifest["entities"].items()))
    print(f"Reference data: {REFERENCE.relative_to(ROOT)}/items|promos/*.csv|*.parquet")
    for stream in manifest["streams"]:
        first = sorted((BUS / stream).glob("*.jsonl"))[0]
        print(f"\nA {stream} record ({first.relative_to(ROOT)}):\n  {first.open().readline().strip()}")


class ServedGeocoder:
    """The geocoder Lambda handler served on 127.0.0.1 (offline provider), for the job to call."""

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "geocoder_lambda.serve", "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        url = json.loads(self.process.stdout.readline())["geocoder"]
        print(f"\nGeocoder served on {url} (POST /geocode, offline provider)")
        return url

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def bootstrapped(cluster: LocalCluster) -> dict[str, InternalUser]:
    """The cluster bootstrapped, with a writer (the job) and an analyst user; the users by role."""
    users = {
        role: InternalUser(role.removeprefix("orders_"), f"Demo-{secrets.token_urlsafe(12)}", role)
        for role in ("orders_writer", "orders_analyst")
    }
    admin = JsonHttp(cluster.url, Auth("basic", cluster.username, cluster.password))
    bootstrap(admin, None, Parameters(replicas=0, users=tuple(users.values())))
    print(
        f"\nOpenSearch on {cluster.url} (admin password {cluster.password}), bootstrapped: template, "
        f"roles, users {', '.join(f'{u.name} ({u.role})' for u in users.values())}"
    )
    return users


def run_job(geocoder_url: str, cluster: LocalCluster, writer: InternalUser) -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    log = DEMO / "job.log"
    properties = DEMO / "properties.json"
    properties.write_text(
        json.dumps(
            [
                {
                    "PropertyGroupId": "opensearch",
                    "PropertyMap": {
                        "url": cluster.url,
                        "auth": "basic",
                        "username": writer.name,
                        "password": writer.password,
                    },
                }
            ]
        )
    )
    command = [
        sys.executable,
        "-m",
        "flink_app",
        "--bus",
        str(BUS),
        "--reference",
        str(REFERENCE),
        "--out",
        str(OUT),
        "--bounded",
        "--parallelism",
        "2",
        "--geocoder-url",
        geocoder_url,
        "--properties",
        str(properties),
    ]
    print(f"\nRunning the job on Flink's MiniCluster (log: {log.relative_to(ROOT)}):\n  {' '.join(command[1:])}")
    with log.open("w") as job_log:
        subprocess.run(command, cwd=ROOT, check=True, stderr=job_log)


def show_orders() -> None:
    files = sorted(p for p in (OUT / "orders").rglob("part-*") if not p.name.startswith((".", "_")))
    orders = [json.loads(line) for path in files for line in path.read_text().splitlines()]
    partitions = sorted({p.parent.name for p in files})
    print(
        f"\nCurated output {(OUT / 'orders').relative_to(ROOT)}: {len(orders)} orders in {len(partitions)} "
        f"partitions ({partitions[0]} .. {partitions[-1]})"
    )
    gaps = Counter(m for order in orders for m in order["missing"])
    print("  references missing: " + (", ".join(f"{k} {v}" for k, v in gaps.most_common()) or "none"))
    complete = next(o for o in orders if not o["missing"] and o["bill_customer_id"] != o["ship_customer_id"])
    print("\nAn order document, complete, billed and shipped to different customers:")
    print("  " + json.dumps(complete, indent=2).replace("\n", "\n  "))
    gap = next((o for o in orders if o["missing"]), None)
    if gap:
        print(f"\nAn order with gaps: line {gap['line_id']}, missing {gap['missing']}")
    dead = [
        json.loads(line)
        for p in (OUT / "dlq").rglob("part-*")
        if not p.name.startswith((".", "_"))
        for line in p.read_text().splitlines()
    ]
    if dead:
        print(f"\nDead letters {(OUT / 'dlq').relative_to(ROOT)}: {len(dead)}, e.g. {json.dumps(dead[0])}")
    show_geocoding(orders)


def show_geocoding(orders: list[dict]) -> None:
    """How the addresses in the orders were placed: each address version once."""
    placed = {}
    for order in orders:
        for customer in (order["bill_customer"], order["ship_customer"]):
            if customer and customer["address"]:
                address = customer["address"]
                placed[(address["address_id"], address["address_datetime"])] = address
    kinds = Counter((a["geocode"]["status"], a["geocode"]["precision"]) for a in placed.values())
    print(
        f"\nGeocoding of the {len(placed)} address versions in the orders: "
        + ", ".join(
            f"{status}{f' ({precision})' if precision else ''} {n}" for (status, precision), n in kinds.most_common()
        )
    )
    for precision in ("postcode", "locality"):
        example = next((a for a in placed.values() if a["geocode"]["precision"] == precision), None)
        if example:
            print(
                f"  e.g. {example['street']}, {example['city']}, {example['state']} {example['zip']} -> "
                f"{example['location']} ({precision})"
            )


def show_opensearch(cluster: LocalCluster, analyst: InternalUser) -> None:
    admin = JsonHttp(cluster.url, Auth("basic", cluster.username, cluster.password))
    admin.send("POST", f"/{READ_ALIAS}/_refresh")
    print(f"\nIndexed in OpenSearch ({READ_ALIAS}): {admin.send('POST', f'/{READ_ALIAS}/_count')['count']} orders")
    as_analyst = JsonHttp(cluster.url, Auth("basic", analyst.name, analyst.password))
    [hit] = as_analyst.send("POST", f"/{READ_ALIAS}/_search", {"size": 1})["hits"]["hits"]
    print(
        f"Order {hit['_id']}'s bill_customer as {analyst.name} ({analyst.role}) sees it: only the fields its "
        "allow-list names, ids masked, the location coarse:"
    )
    print("  " + json.dumps(hit["_source"]["bill_customer"], indent=2).replace("\n", "\n  "))
    tiles = write_map(as_analyst, DEMO)
    print(
        f"\nMap of the orders by ship location ({len(tiles)} geotile_grid tiles, sized by net paid): "
        f"{(DEMO / 'orders-map.html').relative_to(ROOT)} and {(DEMO / 'orders-map.png').relative_to(ROOT)}"
    )


if __name__ == "__main__":
    show_bus(generate())
    with ServedGeocoder() as url, running() as cluster:
        users = bootstrapped(cluster)
        run_job(url, cluster, users["orders_writer"])
        show_orders()
        show_opensearch(cluster, users["orders_analyst"])
