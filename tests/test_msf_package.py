"""The MSF application package (msf_package): its layout, the single jar from the Maven build and
the build's check of every jar against its pinned SHA-256, the Python dependencies (from PyPI), and
the function that publishes it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from importlib.metadata import distribution
from pathlib import Path

import boto3
import pytest
from cfnlint.decode import cfn_yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from msf_package.build import HELPER_JAR, JARFILE, build_package
from tests.support.http_stub import HttpStub
from tests.support.job_output import differences, read_orders
from tests.support.kinesis_streams import REGION, create_streams, end_streams, generate, send
from tests.support.lambda_build import ROOT, lambda_runtime
from tests.support.order_oracle import expected_output
from tests.support.s3_objects import download
from tests.support.standalone_flink import StandaloneFlink
from tests.test_deployment_flink import Rendered

MSF_PYTHON = {
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "os_name": "posix",
    "extra": "",
}


FACTORY_SERVICE = "META-INF/services/org.apache.flink.table.factories.Factory"


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    return build_package(tmp_path_factory.mktemp("msf") / "app.zip")


def requirement_pins() -> dict[str, str]:
    lines = (ROOT / "msf_package" / "requirements.txt").read_text().splitlines()
    return dict(line.split("==") for line in lines if line and not line.startswith("#"))


def test_the_zip_holds_the_entry_point_the_job_and_one_jar_where_the_run_options_say(package):
    template = cfn_yaml.load(str(ROOT / "template.yaml"))
    groups = template["Resources"]["FlinkApplication"]["Properties"]["ApplicationConfiguration"][
        "EnvironmentProperties"
    ]["PropertyGroups"]
    [run_options] = [g["PropertyMap"] for g in groups if g["PropertyGroupId"] == "kinesis.analytics.flink.run.options"]
    names = set(zipfile.ZipFile(package).namelist())
    assert {run_options["python"], run_options["jarfile"]} <= names
    job = {f"{run_options['pyFiles']}{p.relative_to(ROOT).as_posix()}" for p in (ROOT / "flink_app").rglob("*.py")}
    assert {n for n in names if n.startswith(f"{run_options['pyFiles']}flink_app/")} == job
    assert not any(n.endswith((".java", ".pyc")) or "/bin/" in n for n in names)


def test_the_dependencies_are_the_pinned_ones_built_for_msfs_python(package):
    names = zipfile.ZipFile(package).namelist()
    installed = {
        m.group(1).lower(): m.group(2)
        for n in names
        if (m := re.fullmatch(r"python/([\w.]+)-([\w.]+)\.dist-info/METADATA", n))
    }
    assert installed == {canonicalize_name(k).replace("-", "_"): v for k, v in requirement_pins().items()}
    extensions = [n for n in names if n.endswith(".so")]
    assert extensions and all("cpython-312-x86_64-linux-gnu" in n for n in extensions)


def test_the_pinned_dependencies_are_what_the_job_needs_beyond_pyflink():
    """The closure of the job's dependencies, minus PyFlink's own (the MSF runtime has those), at the
    versions the tests run with."""

    def closure(names: list[str]) -> dict[str, str]:
        found, todo = {}, list(names)
        while todo:
            name = canonicalize_name(todo.pop())
            if name not in found:
                dist = distribution(name)
                found[name] = dist.version
                todo += [
                    r.name
                    for r in map(Requirement, dist.requires or [])
                    if not r.marker or r.marker.evaluate(MSF_PYTHON)
                ]
        return found

    pyproject = (ROOT / "pyproject.toml").read_text()
    job = re.search(r"^job = \[(.*?)\]", pyproject, re.S | re.M).group(1)
    direct = [Requirement(r).name for r in re.findall(r'"([^"]+)"', job)]
    pyflink = closure(["apache-flink"])
    needed = {name: version for name, version in closure(direct).items() if name not in pyflink}
    assert {canonicalize_name(k): v for k, v in requirement_pins().items()} == needed


def test_the_one_jar_is_the_maven_builds_with_the_aws_sdk_and_without_flink(package):
    with zipfile.ZipFile(package) as archive:
        jar_bytes = archive.read(JARFILE)
    assert jar_bytes == HELPER_JAR.read_bytes()
    with zipfile.ZipFile(HELPER_JAR) as jar:
        names = set(jar.namelist())
        assert "streamingorders.flink.OpenSearchSinkFactory" in jar.read(FACTORY_SERVICE).decode().split()
    assert "software/amazon/awssdk/auth/credentials/DefaultCredentialsProvider.class" in names
    assert not any(n.startswith(("org/apache/flink/", "org/slf4j/")) for n in names)  # MSF's runtime has them
    assert not any(n.endswith(".SF") for n in names)


def test_the_same_sources_give_the_same_package(package, tmp_path):
    again = build_package(tmp_path / "again.zip")
    assert hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(package.read_bytes()).digest()


def maven_build_with_pins(tmp_path: Path, edit) -> subprocess.CompletedProcess:
    """The Maven module built offline (from ~/.m2, which setup filled) in a copy whose pinned sums
    `edit` changed."""
    module = tmp_path / "java"
    shutil.copytree(ROOT / "java", module, ignore=shutil.ignore_patterns("target"))
    sums = module / ".mvn" / "checksums" / "checksums-central.sha256"
    sums.write_text(edit(sums.read_text()))
    return subprocess.run(
        [module / "mvnw", "--offline", "--quiet", "--projects", "flink-job", "package"],
        cwd=module,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_jar_whose_bytes_differ_from_its_pinned_sha256_stops_the_build_naming_it(tmp_path):
    jar = "org/apache/flink/flink-s3-fs-hadoop/"
    result = maven_build_with_pins(
        tmp_path,
        lambda text: "\n".join(
            "0" * 64 + line[64:] if jar in line and line.endswith(".jar") else line for line in text.splitlines()
        )
        + "\n",
    )
    assert result.returncode != 0
    assert "org.apache.flink:flink-s3-fs-hadoop:jar" in result.stdout and "trusted checksum mismatch" in result.stdout


def test_a_jar_without_a_pinned_sha256_stops_the_build_naming_it(tmp_path):
    result = maven_build_with_pins(
        tmp_path,
        lambda text: "".join(
            line for line in text.splitlines(keepends=True) if not line.rstrip().endswith("/auth-2.57.8.jar")
        ),
    )
    assert result.returncode != 0
    assert "software.amazon.awssdk:auth:jar:2.57.8" in result.stdout


def test_the_entry_point_runs_the_packaged_job(package, tmp_path):
    """main.py finds flink_app under python/ (the dependencies are left out: they are built for
    Python 3.12, and this venv provides them)."""
    with zipfile.ZipFile(package) as archive:
        archive.extractall(
            tmp_path, [n for n in archive.namelist() if n == "main.py" or n.startswith("python/flink_app/")]
        )
    result = subprocess.run(
        [sys.executable, tmp_path / "main.py", "--help"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "--bus" in result.stdout and "--geocoder-url" in result.stdout


def test_the_built_publisher_puts_the_package_in_the_bucket_and_removes_it_on_delete(sam_build, moto_url, tmp_path):
    built = sam_build / "FlinkApplicationPublisher"
    package = built / "flink-application.zip"
    assert JARFILE in zipfile.ZipFile(package).namelist()
    s3 = boto3.client("s3", endpoint_url=moto_url)
    s3.create_bucket(Bucket="artifacts")
    s3.put_bucket_versioning(Bucket="artifacts", VersioningConfiguration={"Status": "Enabled"})  # as the template's
    cloudformation = HttpStub(lambda *request: (200, {}))
    runtime = lambda_runtime(tmp_path)

    def send(request_type: str, physical_id: str | None = None) -> dict:
        event = {
            "RequestType": request_type,
            "ResponseURL": cloudformation.url,
            "StackId": "stack",
            "RequestId": "1",
            "LogicalResourceId": "FlinkApplicationCode",
            "PhysicalResourceId": physical_id,
            "ResourceProperties": {"Bucket": "artifacts", "Prefix": "flink-application/", "CodeVersion": "1"},
        }
        script = (
            f"import sys, json; sys.path[:0] = [{str(built)!r}, {str(runtime)!r}]\n"
            "from msf_package.publisher import handler\n"
            f"handler(json.loads({json.dumps(event)!r}), None)"
        )
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
            env={
                "AWS_ENDPOINT_URL_S3": moto_url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "us-east-1",
            },
        )
        assert result.returncode == 0, result.stderr
        response = cloudformation.requests[-1][3]
        assert response["Status"] == "SUCCESS", response["Reason"]
        return response

    try:
        created = send("Create")
        key = created["Data"]["FileKey"]
        assert created["PhysicalResourceId"] == f"s3://artifacts/{key}"
        assert key == f"flink-application/streaming-orders-{hashlib.sha256(package.read_bytes()).hexdigest()[:20]}.zip"
        version = created["Data"]["ObjectVersion"]  # the version the application is pinned to
        assert s3.get_object(Bucket="artifacts", Key=key, VersionId=version)["Body"].read() == package.read_bytes()
        assert send("Update", created["PhysicalResourceId"])["PhysicalResourceId"] == created["PhysicalResourceId"]
        send("Delete", created["PhysicalResourceId"])
        assert s3.list_objects_v2(Bucket="artifacts").get("KeyCount") == 0
    finally:
        cloudformation.close()


@pytest.mark.parametrize(
    ("request_type", "status", "started"),
    [("Create", "READY", True), ("Create", "RUNNING", False), ("Update", "READY", False)],
)
def test_the_starter_starts_a_new_application_once(request_type, status, started, monkeypatch):
    """Against a stand-in for the MSF API (moto has no StartApplication): JSON over HTTP, the
    operation in the X-Amz-Target header, as botocore sends it."""
    from msf_package.starter import handler

    def msf(method, path, query, body):
        return 200, {"ApplicationDetail": {"ApplicationName": body["ApplicationName"], "ApplicationStatus": status}}

    api, cloudformation = HttpStub(msf), HttpStub(lambda *request: (200, {}))
    monkeypatch.setenv("AWS_ENDPOINT_URL_KINESIS_ANALYTICS_V2", api.url)
    event = {
        "RequestType": request_type,
        "ResponseURL": cloudformation.url,
        "StackId": "stack",
        "RequestId": "1",
        "LogicalResourceId": "FlinkApplicationStart",
        "PhysicalResourceId": "start-dev-streaming-orders",
        "ResourceProperties": {"ApplicationName": "dev-streaming-orders"},
    }
    try:
        handler(event, None)
    finally:
        api.close()
        cloudformation.close()
    operations = [
        (headers["X-Amz-Target"].split(".")[1], body) for headers, (_, _, _, body) in zip(api.headers, api.requests)
    ]
    start = (
        "StartApplication",
        {
            "ApplicationName": "dev-streaming-orders",
            "RunConfiguration": {"FlinkRunConfiguration": {"AllowNonRestoredState": False}},
        },
    )
    assert (start in operations) == started
    assert cloudformation.requests[-1][3]["Status"] == "SUCCESS"


def msf_property_groups(arns: dict[str, str]) -> list[dict]:
    """The application's property groups as template.yaml gives them, pointing at moto's streams and
    buckets; without the geocoder and OpenSearch (neither is part of this run), and with the short
    checkpoint interval and idle timeout that the streams' last records need to end the run soon."""
    template = cfn_yaml.load(str(ROOT / "template.yaml"))
    groups = Rendered(template).properties("FlinkApplication")["ApplicationConfiguration"]["EnvironmentProperties"][
        "PropertyGroups"
    ]
    text = json.dumps([g for g in groups if g["PropertyGroupId"] not in ("geocoder", "opensearch")])
    for stream, arn in arns.items():
        text = text.replace(
            f"arn:<AWS::Partition>:kinesis:<AWS::Region>:<AWS::AccountId>:stream/<{stream.title()}Stream>", arn
        )
    text = text.replace("<AWS::Region>", REGION).replace("<LakeBucket>", "lake").replace("<CuratedBucket>", "curated")
    assert "<" not in text, text
    groups = json.loads(text)
    [job] = [g["PropertyMap"] for g in groups if g["PropertyGroupId"] == "job"]
    job.update(checkpoint_interval_seconds="2", idle_timeout_seconds="10")
    return groups


def test_the_built_package_runs_on_a_flink_cluster_as_msf_runs_it(package, moto_url, tmp_path):
    """The zip's main.py, Python job and one jar, submitted with `flink run -py` to a real Flink
    cluster (a JobManager and a TaskManager started from the distribution apache-flink ships, with
    the S3 filesystem plugin, as MSF provides it), the template's property groups pointing at moto:
    the orders in the curated bucket equal the oracle's. The zip's Python dependencies are left out
    (they are built for MSF's Python 3.12; this environment provides the same pins)."""
    app = tmp_path / "app"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(
            app, [n for n in archive.namelist() if n in ("main.py", JARFILE) or n.startswith("python/flink_app/")]
        )
    kinesis = boto3.client("kinesis", endpoint_url=moto_url, region_name=REGION)
    options = generate(tmp_path, customers=200, sales=2000, seed=41, reference_formats="csv,parquet")
    arns = create_streams(kinesis, "msf")
    send(moto_url, arns, options)
    end_streams(kinesis, arns)
    s3 = boto3.client("s3", endpoint_url=moto_url)
    for bucket in ("lake", "curated"):
        s3.create_bucket(Bucket=bucket)
    for table in ("items", "promos"):  # the clean layer's Parquet
        s3.upload_file(str(tmp_path / "ref" / table / f"{table}.parquet"), "lake", f"reference/{table}/part-0.parquet")
    groups = msf_property_groups(arns)
    [run_options] = [g["PropertyMap"] for g in groups if g["PropertyGroupId"] == "kinesis.analytics.flink.run.options"]
    properties = tmp_path / "application_properties.json"
    properties.write_text(json.dumps(groups))
    expected = expected_output(tmp_path / "bus", tmp_path / "ref")
    cluster = StandaloneFlink(
        tmp_path / "cluster",
        {
            "s3.endpoint": moto_url,
            "s3.path.style.access": "true",
            "s3.endpoint.region": REGION,
            "execution.checkpointing.dir": (tmp_path / "checkpoints").as_uri(),
        },
        {**os.environ, "AWS_ENDPOINT_URL": moto_url},
    )

    def orders_in_the_bucket() -> int:
        download(s3, "curated", "orders/", tmp_path / "out" / "orders")
        return len(read_orders(tmp_path / "out"))

    try:
        submitted = cluster.run_python(app, run_options, "--properties", str(properties))
        assert submitted.returncode == 0, submitted.stdout[-3000:] + submitted.stderr[-3000:]
        deadline = time.monotonic() + 240
        while orders_in_the_bucket() < len(expected.orders):
            assert [job["state"] for job in cluster.jobs()] == ["RUNNING"], cluster.jobs()
            assert time.monotonic() < deadline, "the orders did not all reach the curated bucket in time"
            time.sleep(2)
    finally:
        cluster.close()
    assert differences(expected, read_orders(tmp_path / "out")) == []
