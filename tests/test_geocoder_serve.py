"""`python -m geocoder_lambda.serve`: the handler answering real HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.contract import validator

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server():
    process = subprocess.Popen(
        [sys.executable, "-m", "geocoder_lambda.serve", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
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
        connection.request(
            "POST",
            "/geocode",
            body=json.dumps({"addresses": [{"id": zip_code, "zip": zip_code}]}),
            headers={"Content-Type": "application/json"},
        )
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type") == "application/json"
        bodies.append(json.loads(response.read()))
    connection.close()
    for body in bodies:
        validator("geocode_response").validate(body)
    assert [b["results"][0]["precision"] for b in bodies] == ["postcode", "postcode"]


@pytest.mark.parametrize(
    "method, path, body, status",
    [
        ("POST", "/geocode", b"{not json", 400),
        ("POST", "/geocode", b'{"addresses": []}', 400),
        ("GET", "/geocode", b"", 404),
        ("POST", "/elsewhere", b"{}", 404),
    ],
)
def test_errors_over_http(server, method, path, body, status):
    connection = http.client.HTTPConnection(*server, timeout=10)
    connection.request(method, path, body=body)
    response = connection.getresponse()
    assert response.status == status
    assert "message" in json.loads(response.read())
    connection.close()


def test_concurrent_clients_are_all_answered(server):
    """More clients at once than http.server's default listen backlog (5) lets in."""
    from concurrent.futures import ThreadPoolExecutor

    def ask(number: int) -> int:
        connection = http.client.HTTPConnection(*server, timeout=30)
        connection.request("POST", "/geocode", body=json.dumps({"addresses": [{"id": str(number), "zip": "10001"}]}))
        status = connection.getresponse().status
        connection.close()
        return status

    with ThreadPoolExecutor(40) as pool:
        assert list(pool.map(ask, range(120))) == [200] * 120


@pytest.mark.parametrize(
    "headers, body, status, message",
    [
        ({"Content-Length": "abc"}, b"{}", 400, "Content-Length must be a non-negative integer"),
        ({"Content-Length": "-1"}, b"{}", 400, "Content-Length must be a non-negative integer"),
        ({"Content-Length": str(7 * 2**20)}, b"{}", 413, "larger than"),
        ({"Transfer-Encoding": "chunked"}, b"2\r\n{}\r\n0\r\n\r\n", 411, "needs a Content-Length"),
    ],
)
def test_a_body_whose_length_cannot_be_read_is_refused_and_the_server_stays_up(server, headers, body, status, message):
    import socket

    with socket.create_connection(server, timeout=10) as raw:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        raw.sendall(f"POST /geocode HTTP/1.1\r\nHost: x\r\n{head}\r\n".encode() + body)
        answer = raw.makefile("rb").read()
    assert answer.startswith(f"HTTP/1.1 {status}".encode()) and message.encode() in answer
    test_answers_over_http_with_keep_alive(server)  # still up


def test_a_non_utf8_body_gets_400_over_http(server):
    connection = http.client.HTTPConnection(*server, timeout=10)
    connection.request("POST", "/geocode", body=b'{"addresses": [{"id": "\xff"}]}')
    response = connection.getresponse()
    assert response.status == 400 and "not UTF-8" in json.loads(response.read())["message"]
