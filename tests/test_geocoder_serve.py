"""`python -m geocoder_lambda.serve`: the handler answering real HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.contract import validator

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server():
    process = subprocess.Popen([sys.executable, "-m", "geocoder_lambda.serve", "--port", "0"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = urlsplit(json.loads(process.stdout.readline())["geocoder"])
        yield url.hostname, url.port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_answers_over_http_with_keep_alive(server):
    connection = http.client.HTTPConnection(*server, timeout=10)
    bodies = []
    for zip_code in ("10001", "94102"):
        connection.request("POST", "/geocode", body=json.dumps({"addresses": [{"id": zip_code, "zip": zip_code}]}),
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type") == "application/json"
        bodies.append(json.loads(response.read()))
    connection.close()
    for body in bodies:
        validator("geocode_response").validate(body)
    assert [b["results"][0]["precision"] for b in bodies] == ["postcode", "postcode"]


@pytest.mark.parametrize("method, path, body, status", [
    ("POST", "/geocode", b"{not json", 400),
    ("POST", "/geocode", b'{"addresses": []}', 400),
    ("GET", "/geocode", b"", 404),
    ("POST", "/elsewhere", b"{}", 404),
])
def test_errors_over_http(server, method, path, body, status):
    connection = http.client.HTTPConnection(*server, timeout=10)
    connection.request(method, path, body=body)
    response = connection.getresponse()
    assert response.status == status
    assert "message" in json.loads(response.read())
    connection.close()
