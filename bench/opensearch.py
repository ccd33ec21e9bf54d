"""OpenSearch sink benchmark, against a fast local bulk endpoint (it counts the documents and
answers every item `201` without storing anything, so the figures are the job's, not a cluster's).

1. The job on the sales dataset of bench.job (20k customers, 1M sale lines) with the sink on: its
   sales/s, to compare with bench.job's figure with the sink off.
2. The sink alone at parallelism 2: the curated documents of run 1 read back as lines (`line_id`
   taken by JSON_VALUE) and written through the sink (target: at least 15,000 documents/s).

    .venv/bin/python -m bench.opensearch [--sink-alone]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.job import ROOT, dataset_ready, report, run_job

ITEM = b'{"index":{"_index":"orders-000001","status":201,"result":"created"}}'


class FastBulkEndpoint:
    def __init__(self):
        self.documents = 0
        self.requests = 0
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                count = body.count(b"\n") // 2
                with endpoint._lock:
                    endpoint.documents += count
                    endpoint.requests += 1
                answer = b'{"took":1,"errors":false,"items":[' + b",".join([ITEM] * count) + b"]}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def sink_alone(url: str, parallelism: int) -> tuple[int, float]:
    """(documents, seconds) of a job that reads the curated orders and writes them to the sink."""
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.table import StreamTableEnvironment

    from flink_app.config import OpenSearchSettings
    from flink_app.java_helper import add_helper_jar
    from flink_app.sinks import curated_source_ddl, opensearch_sink_ddl

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    env.enable_checkpointing(10_000)
    add_helper_jar(env)
    t_env = StreamTableEnvironment.create(env)
    orders = ROOT / ".bench" / "job" / "out" / "orders"
    t_env.execute_sql(curated_source_ddl(str(orders)))
    settings = OpenSearchSettings(url, "orders-write", None, None, None, 1000, 5 * 2**20, 1000, 5)
    t_env.execute_sql(opensearch_sink_ddl(settings, str(ROOT / ".bench" / "opensearch-dlq")))
    started = time.monotonic()
    t_env.execute_sql("INSERT INTO opensearch_orders SELECT JSON_VALUE(document, '$.line_id'), "
                      "CAST(document AS BYTES) FROM curated_orders").wait()
    return sum(1 for path in orders.rglob("part-*") if not path.name.startswith(".") for _ in path.open()), \
        time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sink-alone", action="store_true", help="only part 2, over the curated output of an earlier run")
    args = parser.parse_args()
    parallelism = 2
    endpoint = FastBulkEndpoint()
    try:
        if not args.sink_alone:
            run = run_job(dataset_ready("sales"), parallelism, "--opensearch-url", endpoint.url)
            report("sales, OpenSearch sink on", run, parallelism)
            print(f"sink in the job: {endpoint.documents:,} documents in {endpoint.requests:,} bulk requests")
        before = endpoint.documents
        documents, seconds = sink_alone(endpoint.url, parallelism)
        sent = endpoint.documents - before
    finally:
        endpoint.close()
    print(f"sink alone: {documents:,} curated documents read back and {sent:,} indexed in {seconds:.1f} s at "
          f"parallelism {parallelism} (JVM start-up included): {sent / seconds:,.0f} documents/s (target 15,000)")
    if sent != documents:
        sys.exit("the sink lost documents")


if __name__ == "__main__":
    main()
