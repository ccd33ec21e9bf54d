"""A JSON HTTP server on 127.0.0.1 whose answers a test decides: it plays a third-party API
(Nominatim, Amazon Location's places API) that cannot be reached from here."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class LocalServer:
    """An HTTP server on a free loopback port, answering from a daemon thread until `close()`."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# (method, path, query, JSON body or None) -> (status, JSON-able answer, or bytes to send as they are)
Responder = Callable[[str, str, dict, object], tuple[int, object]]


class HttpStub(LocalServer):
    def __init__(self, respond: Responder):
        self.requests: list[tuple[str, str, dict, object]] = []
        self.headers: list[dict[str, str]] = []  # of each request, in the same order
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                url = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw) if raw else None
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                stub.requests.append((self.command, url.path, query, body))
                stub.headers.append(dict(self.headers.items()))
                status, answer = respond(self.command, url.path, query, body)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()  # bytes: sent as they are
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _answer  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)


def closed_port() -> int:
    """A loopback port nothing listens on: connections to it are refused."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
