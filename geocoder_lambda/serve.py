"""`python -m geocoder_lambda.serve --port N`: the Lambda handler served over HTTP on this machine.

Each request becomes a Lambda function URL event (payload format 2.0) for the same handler that
runs in AWS; this is how the job, the demo and the tests reach it where `sam local` cannot run.
Like concurrent Lambda execution environments, `--workers` processes (forked after the handler and
its data are loaded) share the listening socket and each handles one request at a time; a
worker's connections are served by a bounded pool of threads with a listen backlog, so concurrent
clients wait rather than being reset. A body without a readable length, or larger than a function
URL takes, is refused before it is read.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FUNCTION_NAME = "geocoder-local"
MAX_BODY_BYTES = 6 * 2**20  # a function URL's request payload limit
CONNECTION_THREADS = 64  # connections served at once (each client keeps its own alive)
LISTEN_BACKLOG = 128


class LocalContext:
    """The attributes of a Lambda context that Powertools reads."""

    function_name = FUNCTION_NAME
    function_version = "$LATEST"
    invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{FUNCTION_NAME}"
    memory_limit_in_mb = 512

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + 30

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def function_url_event(method: str, target: str, headers: dict[str, str], body: bytes, client_ip: str) -> dict:
    url = urlsplit(target)
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    now = dt.datetime.now(dt.timezone.utc)
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "local",
            "domainName": "local.lambda-url.local.on.aws",
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": url.path,
                "protocol": "HTTP/1.1",
                "sourceIp": client_ip,
                "userAgent": headers.get("User-Agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": text if body else None,
        "isBase64Encoded": encoded,
    }


class BoundedThreadingServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with a listen backlog and a bounded pool instead of a thread per connection."""

    request_queue_size = LISTEN_BACKLOG
    parent_pid: int | None = None  # in a worker: the server process that forked it

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]):
        super().__init__(address, handler)
        self.pool = ThreadPoolExecutor(CONNECTION_THREADS, thread_name_prefix="serve")

    def process_request(self, request, client_address) -> None:
        self.pool.submit(self.process_request_thread, request, client_address)

    def service_actions(self) -> None:
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            os._exit(0)  # a worker whose server process is gone (killed) stops too

    def get_request(self):
        # The listening socket is non-blocking, as the workers race to accept each connection; the
        # connection itself blocks, as http.server expects.
        connection, address = self.socket.accept()
        connection.setblocking(True)
        return connection, address

    def server_close(self) -> None:
        super().server_close()
        self.pool.shutdown(wait=False, cancel_futures=True)


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def body_length(headers) -> int:
    """The length of the request's body, or Refused when it cannot be read."""
    declared = headers.get("Content-Length")
    if declared is None:
        if headers.get("Transfer-Encoding"):
            raise Refused(411, "a body needs a Content-Length")
        return 0
    if not declared.strip().isdigit():
        raise Refused(400, f"Content-Length must be a non-negative integer, not {declared!r}")
    if int(declared) > MAX_BODY_BYTES:
        raise Refused(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    return int(declared)


def warm_up() -> None:
    """Builds the provider chain and loads the offline provider's data before the first request, as
    a Lambda environment initialized ahead of traffic. Loaded by the first requests instead, on a
    machine busy with the job, it held them for 9 s, past the job's timeout (docs/performance.md)."""
    from geocoder_lambda.app import geocoder
    from geocoder_lambda.providers.offline import OfflineProvider
    from geocoder_lambda.settings import ConfigurationError

    try:
        chain = geocoder().chain
    except ConfigurationError:
        return  # each request answers with the configuration error
    for provider in chain:
        if isinstance(provider, OfflineProvider):
            provider.warm()


def make_server(host: str, port: int) -> BoundedThreadingServer:
    from geocoder_lambda.app import handler

    one_at_a_time = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as clients of a function URL expect
        # The headers and the body go out in two writes; with Nagle's algorithm the body waited for
        # the client's delayed ACK of the headers, 40 ms a request on a kept-alive connection.
        disable_nagle_algorithm = True

        def _invoke(self) -> None:
            try:
                body = self.rfile.read(body_length(self.headers))
            except Refused as refused:
                self.close_connection = True  # the body, unread, cannot be skipped
                self._answer(
                    refused.status,
                    {"Content-Type": "application/json", "Connection": "close"},
                    json.dumps({"message": str(refused)}).encode(),
                )
                return
            event = function_url_event(self.command, self.path, dict(self.headers), body, self.client_address[0])
            try:
                with one_at_a_time:
                    response = handler(event, LocalContext())
            except Exception as error:  # the handler answers every request itself; this is a bug in it
                print(f"serve: the handler failed: {error!r}", file=sys.stderr)
                response = {
                    "statusCode": 500,
                    "headers": {"Content-Type": "application/json"},
                    "body": json.dumps({"message": f"internal error: {type(error).__name__}"}),
                }
            payload = response.get("body") or ""
            data = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode()
            self._answer(response.get("statusCode", 200), response.get("headers") or {}, data)

        def _answer(self, status: int, headers: dict[str, str], data: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            try:
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (its timeout) before the answer; it retries on its own.
                print(f"serve: {self.client_address[0]} closed the connection before its answer", file=sys.stderr)

        do_GET = do_POST = do_PUT = do_DELETE = _invoke  # noqa: N815 (http.server's naming)

        def log_message(self, *args: object) -> None:
            pass  # the handler logs each request itself

    return BoundedThreadingServer((host, port), Handler)


def serve_in_workers(server: BoundedThreadingServer, workers: int) -> int:
    """Forks `workers` processes that serve `server`'s socket until this one is stopped (SIGTERM or
    Ctrl-C), then stops them; 1 if a worker ended on its own (the others are stopped too)."""
    server.socket.setblocking(False)
    parent = os.getpid()
    pids = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops them
            sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # one write per EMF line
            server.parent_pid = parent
            try:
                server.serve_forever()
            except BaseException:
                traceback.print_exc()  # the server process then says this worker ended, and stops
            os._exit(1)
        pids.append(pid)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    code = 0
    try:
        pid, status = os.wait()
        print(f"serve: worker {pid} ended (wait status {status}); stopping", file=sys.stderr)
        pids.remove(pid)
        code = 1
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            except ProcessLookupError:
                pass
        server.server_close()
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m geocoder_lambda.serve",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, required=True, help="port to listen on (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--metrics", action="store_true", help="print the EMF metrics to stdout as Lambda would (default: off)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes answering requests at once, like Lambda environments (default 1: on a machine whose"
        " cores the job keeps busy, a second one costs more CPU than it saves, docs/performance.md)",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if not args.metrics:
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    warm_up()
    server = make_server(args.host, args.port)
    host, port = server.socket.getsockname()[:2]
    print(json.dumps({"geocoder": f"http://{host}:{port}", "route": "POST /geocode"}), flush=True)
    return serve_in_workers(server, args.workers)


if __name__ == "__main__":
    sys.exit(main())
