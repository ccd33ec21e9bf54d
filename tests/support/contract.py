"""The JSON Schemas of events/schemas, the machine-readable docs/contract.md, for every test to check against."""

from __future__ import annotations

import calendar
import functools
import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "events" / "schemas"
STREAMS = ("customers", "addresses", "sales")


@functools.cache
def schema(name: str) -> dict:
    """The schema, its numbers exact (a bound such as 999.995 is not a float)."""
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(), parse_float=Decimal)


MAX_NUMBER_LENGTH = 1000  # characters of a JSON number in a record (docs/contract.md §4)


def real_date(text: object) -> bool:
    """Whether a `YYYY-MM-DD` text (the schemas' pattern says the form) names a day of the proleptic
    Gregorian calendar, year 0000 included (Python's date starts at year 1); a format says nothing of
    a value that is not a string."""
    if not isinstance(text, str):
        return True
    try:
        year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
    except ValueError:
        return False
    days = [31, 29 if calendar.isleap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return 1 <= month <= 12 and 1 <= day <= days[month - 1]


# The schemas' formats, asserted: "date" and "date-time" name a real day (their patterns say the rest).
FORMATS = {"date": real_date, "date-time": real_date}


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, check in FORMATS.items():
        checker.checks(name)(check)
    return checker


def _ecma_pattern(validator, pattern: str, instance: object, _schema: dict):
    """JSON Schema's `pattern` as ECMA-262 reads it: `$` is the end of the text (jsonschema hands the
    pattern to Python's re, whose `$` also matches before a final newline; fastjsonschema does not)."""
    python_pattern = pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern
    if validator.is_type(instance, "string") and not re.search(python_pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = validators.extend(Draft202012Validator, validators={"pattern": _ecma_pattern})


@functools.cache
def validator(name: str) -> Draft202012Validator:
    return _Validator(schema(name), format_checker=_format_checker())


@functools.cache
def fast_check(name: str) -> Callable[[object], object]:
    """The schema compiled to Python by fastjsonschema: much quicker than jsonschema on a valid
    record, which is what the oracle reads most. The stream schemas use only keywords that draft 7
    (fastjsonschema's newest) reads as 2020-12 does; test_contract holds the two to the same verdicts.
    It compares numbers with the schemas' bounds as floats: classify gives it no Decimal."""
    return fastjsonschema.compile(schema(name), formats=FORMATS)


class _Members(dict):
    """A JSON object's members, and whether one of them was named twice."""

    named_twice = False


def _members(pairs: list[tuple[str, object]]) -> _Members:
    members = _Members(pairs)
    members.named_twice = len(members) < len(pairs)
    return members


def _number(convert: Callable[[str], object]) -> Callable[[str], object]:
    """`convert` for a JSON number's text, refusing one longer than MAX_NUMBER_LENGTH."""

    def read(text: str) -> object:
        if len(text) > MAX_NUMBER_LENGTH:
            raise ValueError(f"a number of {len(text)} characters")
        return convert(text)

    return read


_read_decimal = _number(Decimal)
_read_integer = _number(int)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _lone_surrogate(value: object) -> bool:
    return isinstance(value, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in value)


def read_record(line: bytes) -> object:
    """The JSON value of a record (numbers exact: ints and Decimals); ValueError unless it is I-JSON
    (RFC 7493) as docs/contract.md §4 asks: UTF-8, numbers of at most MAX_NUMBER_LENGTH characters, and
    an object's own members named once and holding no lone surrogate."""
    try:
        record = json.loads(
            line,
            parse_float=_read_decimal,
            parse_int=_read_integer,
            parse_constant=_no_constant,
            object_pairs_hook=_members,
        )
    except RecursionError:
        raise ValueError("nested too deep") from None
    if isinstance(record, _Members):
        if record.named_twice:
            raise ValueError("a member named twice")
        if any(_lone_surrogate(name) or _lone_surrogate(value) for name, value in record.items()):
            raise ValueError("a lone surrogate")
    return record


def classify(stream: str, line: bytes) -> str:
    """'valid', or why not: 'invalid_json', 'missing_field' or 'wrong_type' (docs/contract.md §4)."""
    try:
        record = read_record(line)
    except ValueError:
        return "invalid_json"
    if not (isinstance(record, dict) and any(isinstance(value, Decimal) for value in record.values())):
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
    if "properties" in node and path.rsplit(".", 1)[-1] not in ("location", "coarse_location"):
        leaves = {}
        for name, child in node["properties"].items():
            leaves |= schema_leaves(child, defs, f"{path}.{name}" if path else name)
        return leaves
    return {path: node}
