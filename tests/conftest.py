import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from geocoder_lambda import app as geocoder_app
from tests.support.job_runs import KilledRun, run_killed_and_resumed
from tests.support.lambda_build import sam_build_into

# boto3 needs credentials and a region even for moto; never real ones in tests.
for key, value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ[key] = value

# The JVMs the tests start (each job's MiniCluster through PyFlink's gateway, the standalone Flink
# cluster) compile with C1 only: their runs are too short to repay C2's compile time on two cores
# (the job tests took 23% less time, docs/performance.md). The benches keep the default JIT.
os.environ.setdefault("JVM_ARGS", "-XX:TieredStopAtLevel=1")


@pytest.fixture(scope="session")
def moto_url():
    """moto's server on a free loopback port: real HTTP for the AWS APIs."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def opensearch():
    """A real single-node OpenSearch with the security plugin (python -m opensearch_setup.local)."""
    from opensearch_setup.local import running

    with running() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def killed_and_resumed(tmp_path_factory, opensearch) -> KilledRun:
    """The job killed mid-run and resumed from its checkpoint, once for the tests of both sinks."""
    return run_killed_and_resumed(tmp_path_factory.mktemp("killed"), opensearch)


@pytest.fixture(scope="session")
def served_geocoder():
    """The real geocoder Lambda handler served over HTTP (its embedded offline provider), as the
    demo and the job use it: its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "geocoder_lambda.serve", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    url = json.loads(process.stdout.readline())["geocoder"]
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def sam_build(tmp_path_factory) -> Path:
    """`sam build` of template.yaml: the build folder, one subfolder per function."""
    return sam_build_into(tmp_path_factory.mktemp("sam"))


@pytest.fixture
def configure(monkeypatch):
    """Sets the function's environment and starts a fresh container (the chain is built per container)."""

    def apply(**env: str) -> None:
        for key in list(os.environ):
            if key.startswith(("GEOCODER_", "GEOPY_")):
                monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        geocoder_app.geocoder.cache_clear()

    apply()
    yield apply
    geocoder_app.geocoder.cache_clear()
