"""The committed output of a job run, read back, and its comparison with the oracle
(tests/support/order_oracle.py), field by field."""

from __future__ import annotations

import base64
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

from tests.support.geocode_oracle import LOCATION_PLACES
from tests.support.order_oracle import Oracle


def committed(folder: Path) -> list[Path]:
    """Visible part files: what the sink committed (in-progress files are hidden)."""
    return sorted(p for p in folder.rglob("part-*") if not p.name.startswith((".", "_")))


def read_orders(out: Path) -> list[dict]:
    """Every committed order document, with `dt` taken from its partition folder."""
    orders = []
    for path in committed(out / "orders"):
        partition = path.parent.name
        assert partition.startswith("dt="), f"{path} is not under a dt= partition"
        for line in path.read_text(encoding="utf-8").splitlines():
            document = json.loads(line, parse_float=Decimal)  # money exact to the cent, as written
            for role in ("bill_customer", "ship_customer"):
                address = (document.get(role) or {}).get("address") or {}
                if address.get("location"):
                    address["location"] = {
                        k: Decimal(v).quantize(LOCATION_PLACES) for k, v in address["location"].items()
                    }
            orders.append({**document, "dt": partition.removeprefix("dt=")})
    return orders


def read_dead_letters(out: Path) -> list[dict]:
    return [json.loads(line) for path in committed(out / "dlq") for line in path.read_bytes().split(b"\n") if line]


def dead_letter_bytes(dead_letter: dict) -> bytes:
    """The bytes of the record a dead letter holds: `raw_base64` when they were not UTF-8, else `raw`."""
    if "raw_base64" in dead_letter:
        return base64.b64decode(dead_letter["raw_base64"])
    return dead_letter["raw"].encode()


def differences(oracle: Oracle, orders: list[dict], limit: int = 10) -> list[str]:
    """What differs between the documents and the oracle's orders; empty when they agree."""
    problems = []
    counts = Counter(d["line_id"] for d in orders)
    problems += [f"{line} written {n} times" for line, n in counts.items() if n > 1]
    problems += [f"{line} missing from the output" for line in oracle.orders.keys() - counts.keys()]
    problems += [f"{line} not expected" for line in counts.keys() - oracle.orders.keys()]
    for document in orders:
        expected = oracle.orders.get(document["line_id"])
        if expected is None:
            continue
        wrong = [k for k, v in expected.sale_fields.items() if document.get(k) != v]
        if wrong:
            problems.append(
                f"{document['line_id']}: {', '.join(f'{k}={document.get(k)!r} expected {expected.sale_fields[k]!r}' for k in wrong)}"
            )
        enrichment = (document["bill_customer"], document["ship_customer"], sorted(document["missing"]))
        if expected.enrichments is not None and enrichment not in expected.enrichments:
            problems.append(
                f"{document['line_id']}: customers/addresses/missing {json.dumps(enrichment, default=str)[:400]} "
                f"expected {json.dumps(expected.enrichments[0], default=str)[:400]}"
            )
        extra = document.keys() - expected.sale_fields.keys() - {"bill_customer", "ship_customer", "missing"}
        if extra:
            problems.append(f"{document['line_id']}: fields the contract does not have: {sorted(extra)}")
    return problems[:limit] + ([f"... {len(problems) - limit} more"] if len(problems) > limit else [])
