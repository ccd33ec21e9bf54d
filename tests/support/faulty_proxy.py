"""An HTTP proxy in front of moto that makes Kinesis PutRecords fail partially, as throttling does.

The failed records are not forwarded, so they are really not stored: a writer that drops them loses
data, one that resends the whole batch duplicates it. Everything else passes through unchanged.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from tests.support.http_stub import LocalServer

# Given a PutRecords call's records and the call's number (1, 2, ...), the indices to fail.
FailurePolicy = Callable[[list[dict], int], set[int]]


class FaultyKinesisProxy(LocalServer):
    def __init__(self, upstream: str, fail: FailurePolicy):
        self.upstream = urlsplit(upstream)
        self.fail = fail
        # per call: records, their payload bytes as Kinesis counts them (data + partition keys), failed
        self.put_records_calls: list[dict] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("X-Amz-Target", "").endswith(".PutRecords"):
                    status, payload = proxy._put_records(dict(self.headers), body)
                else:
                    status, payload = proxy._forward(dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        super().__init__(Handler)

    def _forward(self, headers: dict, body: bytes) -> tuple[int, bytes]:
        headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "host")}
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()

    def _put_records(self, headers: dict, body: bytes) -> tuple[int, bytes]:
        request = json.loads(body)
        records = request["Records"]
        with self._lock:
            call = len(self.put_records_calls) + 1
            failing = self.fail(records, call)
            size = sum(len(base64.b64decode(r["Data"])) + len(r["PartitionKey"].encode()) for r in records)
            self.put_records_calls.append({"records": len(records), "bytes": size, "failed": len(failing)})
        passing = [r for i, r in enumerate(records) if i not in failing]
        stored: list[dict] = []
        if passing:
            status, payload = self._forward(headers, json.dumps({**request, "Records": passing}).encode())
            if status != 200:
                return status, payload
            stored = json.loads(payload)["Records"]
        results, stored_iter = [], iter(stored)
        for i in range(len(records)):
            if i in failing:
                results.append(
                    {
                        "ErrorCode": "ProvisionedThroughputExceededException",
                        "ErrorMessage": "Rate exceeded for shard (injected by the test proxy)",
                    }
                )
            else:
                results.append(next(stored_iter))
        failed = sum("ErrorCode" in r for r in results)
        return 200, json.dumps({"FailedRecordCount": failed, "Records": results}).encode()
