"""The JSON Schemas of events/schemas, the machine-readable CONTRACT.md, for every test to check against."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path

import fastjsonschema
from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "events" / "schemas"
STREAMS = ("customers", "addresses", "sales")


@functools.cache
def schema(name: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text())


@functools.cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name))


@functools.cache
def fast_check(name: str) -> Callable[[object], object]:
    """The schema compiled to Python by fastjsonschema: about 10x quicker than jsonschema on a valid
    record, which is what the oracle reads most. The stream schemas use only keywords that draft 7
    (fastjsonschema's newest) reads as 2020-12 does; test_contract holds the two to the same verdicts."""
    return fastjsonschema.compile(schema(name))


def classify(stream: str, line: bytes) -> str:
    """'valid', or why not: 'invalid_json', 'missing_field' or 'wrong_type' (CONTRACT.md §4)."""
    try:
        record = json.loads(line)
    except ValueError:
        return "invalid_json"
    try:
        fast_check(stream)(record)
        return "valid"
    except fastjsonschema.JsonSchemaException:
        pass  # jsonschema says why, from every error rather than the first
    errors = list(validator(stream).iter_errors(record))
    if not errors:
        return "valid"
    if any(e.validator == "required" for e in errors):
        return "missing_field"
    return "wrong_type"


def schema_leaves(node: dict, defs: dict, path: str = "") -> dict[str, dict]:
    """path -> the schema of each leaf field of the order document ($refs and nullable oneOfs resolved)."""
    if "$ref" in node:
        return schema_leaves(defs[node["$ref"].rsplit("/", 1)[1]], defs, path)
    if "oneOf" in node:
        [inner] = [option for option in node["oneOf"] if option.get("type") != "null"]
        return schema_leaves(inner, defs, path)
    if "properties" in node and path.rsplit(".", 1)[-1] != "location":
        leaves = {}
        for name, child in node["properties"].items():
            leaves |= schema_leaves(child, defs, f"{path}.{name}" if path else name)
        return leaves
    return {path: node}
