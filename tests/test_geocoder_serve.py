"""`python -m geocoder_lambda.serve`: the handler answering real HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.contract import validator

ROOT = Path(__file__).resolve().parent.parent


def start(*options: str, stderr=subprocess.DEVNULL) -> tuple[subprocess.Popen, tuple[str, int]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "geocoder_lambda.serve", "--port", "0", *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    url = urlsplit(json.loads(process.stdout.readline())["geocoder"])
    return process, (url.hostname, url.port)


@pytest.fixture(scope="module")
def server():
    process, address = start()
    try:
        yield address
    finally:
        process.terminate()
        process.wait(timeout=10)


def workers_of(process: subprocess.Popen, count: int) -> list[int]:
    """The worker processes, once `count` are forked (the URL is printed as the socket listens, before)."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.monotonic() + 10
    while len(pids := [int(pid) for pid in children.read_text().split()]) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return pids


def stat_fields(pid: int) -> list[str] | None:
    """The /proc stat fields after the command, or None once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None


def cpu_ticks(pid: int) -> int:
    fields = stat_fields(pid)
    assert fields is not None, f"worker {pid} is gone"
    return int(fields[11]) + int(fields[12])


def gone(pid: int, within_seconds: float = 10) -> bool:
    """Whether `pid` has ended (or is a zombie) within `within_seconds`."""
    deadline = time.monotonic() + within_seconds
    while time.monotonic() < deadline:
        fields = stat_fields(pid)
        if fields is None or fields[0] == "Z":
            return True
        time.sleep(0.1)
    return False


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


def test_workers_share_the_requests_and_stop_with_the_server():
    """Like concurrent Lambda environments: each worker answers some of the requests."""
    process, address = start("--workers", "2")
    try:
        workers = workers_of(process, 2)
        assert len(workers) == 2
        before = {pid: cpu_ticks(pid) for pid in workers}
        body = json.dumps({"addresses": [{"id": str(i), "zip": f"{10001 + i:05d}"} for i in range(100)]})
        for _ in range(1000):  # fresh connections, which the workers race to accept
            connection = http.client.HTTPConnection(*address, timeout=10)
            connection.request("POST", "/geocode", body=body)
            assert connection.getresponse().status == 200
            connection.close()
            if all(cpu_ticks(pid) > before[pid] for pid in workers):
                break
        assert all(cpu_ticks(pid) > before[pid] for pid in workers)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert all(gone(pid) for pid in workers)


def test_a_worker_that_dies_stops_the_server_with_the_reason():
    import os
    import signal

    process, address = start("--workers", "2", stderr=subprocess.PIPE)
    dead, other = workers_of(process, 2)
    os.kill(dead, signal.SIGKILL)
    assert process.wait(timeout=10) == 1
    assert f"serve: worker {dead} ended" in process.stderr.read()
    assert gone(other)
