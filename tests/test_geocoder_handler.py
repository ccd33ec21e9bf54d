"""The geocoder's Lambda handler: the events/ files, the offline answers, bad bodies, configuration."""

from __future__ import annotations

import base64
import io
import json
import logging
from pathlib import Path
from statistics import mean

import pytest
import zipcodes
from jsonschema import Draft202012Validator

from geocoder_lambda import app
from geocoder_lambda.serve import LocalContext
from tests.support.contract import schema, validator

EVENTS = Path(__file__).resolve().parent.parent / "events" / "geocoder"
ERROR_BODY = Draft202012Validator(schema("geocode_response")["$defs"]["error"])


def invoke(event: dict) -> tuple[int, dict]:
    response = app.handler(event, LocalContext())
    body = json.loads(response["body"])
    if response["statusCode"] == 200:
        validator("geocode_response").validate(body)
    else:
        ERROR_BODY.validate(body)
    return response["statusCode"], body


def event_file(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def with_body(body: str | dict, base: str = "function_url_single.json") -> dict:
    event = event_file(base)
    event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


def zip_centroid(zip_code: str) -> dict:
    row = zipcodes.matching(zip_code)[0]
    return {"lat": float(row["lat"]), "lon": float(row["long"])}


def geocode(*addresses: dict) -> list[dict]:
    status, body = invoke(with_body({"addresses": list(addresses)}))
    assert status == 200, body
    return body["results"]


@pytest.mark.parametrize("name", ["function_url_batch.json", "http_api_batch.json"])
def test_batch_event_answers_each_address_in_the_order_asked(configure, name):
    event = event_file(name)
    asked = json.loads(event["body"])["addresses"]
    status, body = invoke(event)
    assert status == 200
    results = body["results"]
    assert [r["id"] for r in results] == [a["id"] for a in asked]
    assert [r["status"] for r in results] == ["ok", "ok", "ok", "not_found"]
    assert [r["precision"] for r in results] == ["postcode", "postcode", "locality", None]
    assert results[0]["location"] == zip_centroid("10001")
    assert results[1]["location"] == zip_centroid("94102")
    assert results[3] == {
        "id": asked[3]["id"],
        "status": "not_found",
        "location": None,
        "precision": None,
        "provider": None,
    }


def test_single_event(configure):
    status, body = invoke(event_file("function_url_single.json"))
    assert status == 200
    assert body["results"] == [
        {
            "id": "A00000042",
            "status": "ok",
            "location": zip_centroid("20500"),
            "precision": "postcode",
            "provider": "offline",
        }
    ]


def test_unknown_place_event(configure):
    status, body = invoke(event_file("function_url_unknown_place.json"))
    assert (status, body["results"][0]["status"], body["results"][0]["location"]) == (200, "not_found", None)


def test_invalid_body_event_gets_400_and_is_logged_with_the_correlation_id(configure):
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(app.logger.registered_formatter)
    app.logger.addHandler(capture)
    try:
        status, body = invoke(event_file("function_url_invalid_body.json"))
    finally:
        app.logger.removeHandler(capture)
    assert (status, body) == (400, {"message": "the body is not valid JSON"})
    logged = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert any(entry["correlation_id"] == "flink-geocode-3" and entry["message"] == "bad request" for entry in logged)


def test_known_zip_gives_its_centroid_whatever_else_is_said(configure):
    zips = ["10001", "60601", "73301", "99501", "02108"]
    results = geocode(*({"id": z, "zip": z, "city": "Anywhere", "state": "ZZ"} for z in zips))
    assert [(r["location"], r["precision"], r["provider"]) for r in results] == [
        (zip_centroid(z), "postcode", "offline") for z in zips
    ]


def test_zip_given_with_another_state_still_gives_the_zip_centroid(configure):
    assert geocode({"id": "a", "zip": "10001", "state": "CA", "city": "Fresno"})[0]["location"] == zip_centroid("10001")


def test_zip_plus_four_is_read_as_its_zip(configure):
    assert geocode({"id": "a", "zip": "10001-2062"})[0]["location"] == zip_centroid("10001")


def test_known_city_with_unknown_zip_gives_the_city_centroid(configure):
    rows = zipcodes.filter_by(city="Chicago", state="IL")
    expected = {
        "lat": round(mean(float(r["lat"]) for r in rows), 4),
        "lon": round(mean(float(r["long"]) for r in rows), 4),
    }
    result = geocode({"id": "a", "city": "  chicago ", "state": "il", "zip": "00000"})[0]
    assert (result["status"], result["precision"]) == ("ok", "locality")
    assert result["location"] == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(
    "address",
    [
        {"id": "a", "street": "1 Nowhere", "city": "Zorvath Flats", "state": "TX", "zip": "00003"},
        {"id": "a", "city": "Chicago", "state": "ZZ"},
        {"id": "a"},
    ],
)
def test_nonsense_is_not_found(configure, address):
    assert geocode(address)[0] == {
        "id": "a",
        "status": "not_found",
        "location": None,
        "precision": None,
        "provider": None,
    }


@pytest.mark.parametrize(
    "body, message",
    [
        ("", "the body is empty"),
        ("not json", "not valid JSON"),
        ("[1, 2]", "a JSON object with a list 'addresses'"),
        ('{"addresses": {"id": "a"}}', "a JSON object with a list 'addresses'"),
        ('{"addresses": [{"id": "a"}], "extra": 1}', "unknown field(s) in the body: extra"),
        ('{"addresses": []}', "1 to 100 addresses, not 0"),
        (json.dumps({"addresses": [{"id": str(i)} for i in range(101)]}), "1 to 100 addresses, not 101"),
        ('{"addresses": ["10001"]}', "addresses[0] must be an object"),
        ('{"addresses": [{"zip": "10001"}]}', "addresses[0] needs an 'id'"),
        ('{"addresses": [{"id": ""}]}', "addresses[0] needs an 'id'"),
        ('{"addresses": [{"id": 7}]}', "addresses[0] needs an 'id'"),
        (
            '{"addresses": [{"id": "a"}, {"id": "b", "zip": 10001}]}',
            "addresses[1].zip must be a string or null, not int",
        ),
        (json.dumps({"addresses": [{"id": "a", "street": "x" * 257}]}), "addresses[0].street is longer than 256"),
        (json.dumps({"addresses": [{"id": "a" * 129}]}), "addresses[0].id is longer than 128"),
        ('{"addresses": [{"id": "a", "postcode": "10001"}]}', "addresses[0] has unknown field(s): postcode"),
    ],
)
def test_bad_bodies_get_400_with_what_is_wrong(configure, body, message):
    status, answer = invoke(with_body(body))
    assert status == 400
    assert message in answer["message"]
    assert "Traceback" not in answer["message"]


def test_bodies_that_are_valid_by_the_schema_are_accepted_and_others_not(configure):
    bodies = [
        {"addresses": [{"id": "a", "zip": None, "city": "Boston", "state": "MA"}]},
        {"addresses": [{"id": "a", "zip": 10001}]},
        {"addresses": []},
        {"addresses": [{"id": "x", "lat": 1}]},
    ]
    for body in bodies:
        status, _ = invoke(with_body(body))
        assert (status == 200) == validator("geocode_request").is_valid(body)


def test_base64_body_is_decoded(configure):
    event = with_body("")
    event["body"] = base64.b64encode(json.dumps({"addresses": [{"id": "a", "zip": "10001"}]}).encode()).decode()
    event["isBase64Encoded"] = True
    assert invoke(event)[1]["results"][0]["location"] == zip_centroid("10001")


@pytest.mark.parametrize(
    "raw, message",
    [
        (b'{"addresses": [{"id": "a", "city": "Bo\xffston"}]}', "not UTF-8: invalid byte at offset 38"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
    ],
)
def test_bodies_python_cannot_read_get_400_with_what_is_wrong(configure, raw, message):
    event = with_body("")
    event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    status, answer = invoke(event)
    assert status == 400 and message in answer["message"]


def test_other_routes_are_not_found(configure):
    event = with_body("{}")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/reverse"
    assert app.handler(event, LocalContext())["statusCode"] == 404


@pytest.mark.parametrize(
    "env, message",
    [
        ({"GEOCODER_PROVIDERS": "offline,bogus"}, "unknown geocoding provider 'bogus'"),
        ({"GEOCODER_PROVIDERS": " , "}, "names no provider"),
        ({"GEOCODER_LRU_SIZE": "many"}, "bad geocoder setting"),
        ({"GEOCODER_PROVIDERS": "geopy:no-such-service"}, "geopy has no geocoding service"),
    ],
)
def test_bad_configuration_gets_a_clear_500(configure, env, message):
    configure(**env)
    status, body = invoke(event_file("function_url_single.json"))
    assert status == 500
    assert "misconfigured" in body["message"] and message in body["message"]


def test_metrics_are_emitted_as_emf(configure, capsys):
    invoke(event_file("function_url_batch.json"))
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    merged = {k: v for blob in blobs for k, v in blob.items()}
    assert merged["Requests"] == [1.0] and merged["Addresses"] == [4.0] and merged["NotFound"] == [1.0]
    answers = [b for b in blobs if "Answers" in b]
    assert answers and answers[0]["provider"] == "offline" and answers[0]["Answers"] == [3.0]
