"""The body of POST /geocode (docs/contract.md §6, events/schemas/geocode_request.schema.json), checked
field by field so that a bad body gets a 400 that says what is wrong."""

from __future__ import annotations

import base64
import binascii
import json

from geocoder_lambda.model import GEOCODABLE_FIELDS, Address

MAX_ADDRESSES = 100
MAX_ID_LENGTH = 128
MAX_FIELD_LENGTH = 256
_ALLOWED = {"id", *GEOCODABLE_FIELDS}


class BadRequest(Exception):
    pass


def event_body(body: str | None, is_base64_encoded: bool | None) -> str | None:
    """The body of a function URL or HTTP API event as text, or BadRequest when its bytes are not
    UTF-8 (a client may send any bytes; Lambda then hands them over base64-encoded)."""
    if not body or not is_base64_encoded:
        return body
    try:
        raw = base64.b64decode(body, validate=True)
    except binascii.Error:
        raise BadRequest("the body is not valid base64") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(f"the body is not UTF-8: invalid byte at offset {error.start}") from None


def parse_request(body: str | None) -> list[tuple[str, Address]]:
    """[(id, address)] in the order asked, or BadRequest."""
    if not body:
        raise BadRequest('the body is empty; send {"addresses": [...]}')
    try:
        document = json.loads(body)
    except RecursionError:
        raise BadRequest("the body is not valid JSON: nested too deep") from None
    except ValueError:
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("addresses"), list):
        raise BadRequest("the body must be a JSON object with a list 'addresses'")
    extra = set(document) - {"addresses"}
    if extra:
        raise BadRequest(f"unknown field(s) in the body: {', '.join(sorted(extra))}")
    items = document["addresses"]
    if not 1 <= len(items) <= MAX_ADDRESSES:
        raise BadRequest(f"'addresses' must hold 1 to {MAX_ADDRESSES} addresses, not {len(items)}")
    return [_address(position, item) for position, item in enumerate(items)]


def _address(position: int, item: object) -> tuple[str, Address]:
    where = f"addresses[{position}]"
    if not isinstance(item, dict):
        raise BadRequest(f"{where} must be an object")
    unknown = set(item) - _ALLOWED
    if unknown:
        raise BadRequest(f"{where} has unknown field(s): {', '.join(sorted(unknown))}")
    address_id = item.get("id")
    if not isinstance(address_id, str) or not address_id:
        raise BadRequest(f"{where} needs an 'id': a non-empty string")
    if len(address_id) > MAX_ID_LENGTH:
        raise BadRequest(f"{where}.id is longer than {MAX_ID_LENGTH} characters")
    for name in GEOCODABLE_FIELDS:
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            raise BadRequest(f"{where}.{name} must be a string or null, not {type(value).__name__}")
        if value is not None and len(value) > MAX_FIELD_LENGTH:
            raise BadRequest(f"{where}.{name} is longer than {MAX_FIELD_LENGTH} characters")
    return address_id, Address(**{name: item.get(name) for name in GEOCODABLE_FIELDS})
