"""The job's configuration: MSF property groups, command-line overrides, the standard AWS endpoint
variables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from flink_app.__main__ import load_config, parse_arguments
from flink_app.config import ConfigError, build_config, read_property_groups
from flink_app.reference import ReferenceSource

ROOT = Path(__file__).resolve().parent.parent
ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/{}"
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-writer-AbCdEf"
MSF_GROUPS = {
    "job": {"source": "kinesis", "out_of_orderness_seconds": "30"},
    "kinesis": {
        "region": "eu-west-1",
        **{f"{s}_stream_arn": ARN.format(s) for s in ("customers", "addresses", "sales")},
    },
    "reference": {"path": "s3://lake/reference", "format": "parquet", "refresh_minutes": "5"},
    "curated": {"path": "s3://curated/"},
}


def write_properties(path: Path, groups: dict) -> Path:
    """As MSF writes /etc/flink/application_properties.json, with its own run-options group."""
    document = [{"PropertyGroupId": g, "PropertyMap": m} for g, m in groups.items()]
    document.append({"PropertyGroupId": "kinesis.analytics.flink.run.options", "PropertyMap": {"python": "main.py"}})
    path.write_text(json.dumps(document))
    return path


def test_msf_properties_become_a_typed_config(tmp_path):
    config = build_config(read_property_groups(write_properties(tmp_path / "p.json", MSF_GROUPS)))
    assert config.bus is None and config.kinesis.region == "eu-west-1"
    assert config.kinesis.stream_arns["sales"] == ARN.format("sales")
    assert (config.kinesis.initial_position, config.kinesis.records_per_call, config.kinesis.endpoint) == (
        "TRIM_HORIZON",
        10_000,
        None,
    )
    assert config.reference == ReferenceSource("s3://lake/reference/items", "s3://lake/reference/promos", "parquet")
    assert config.reference_refresh_seconds == 300
    assert config.curated_path == "s3://curated"
    assert (config.out_of_orderness_ms, config.dedup_window_ms, config.idle_timeout_ms) == (30_000, 86_400_000, 30_000)
    assert not config.bounded


def test_the_command_line_overrides_the_properties(tmp_path):
    properties = write_properties(tmp_path / "p.json", MSF_GROUPS)
    config = load_config(
        parse_arguments(
            [
                "--properties",
                str(properties),
                "--bus",
                "/data/bus",
                "--bounded",
                "--out",
                "/data/out",
                "--reference-format",
                "csv",
                "--parallelism",
                "3",
            ]
        )
    )
    assert config.kinesis is None and config.bus.path == Path("/data/bus") and config.bounded
    assert (config.curated_path, config.reference.file_format, config.parallelism) == ("/data/out", "csv", 3)
    assert config.idle_timeout_ms == 0  # a bounded run: every source ends, none needs to be declared idle


@pytest.mark.parametrize(
    "change, message",
    [
        ({"job": {"source": "kafka"}}, "job.source must be one of bus, kinesis"),
        (
            {"kinesis": {"region": "eu-west-1", "customers_stream_arn": "customers"}},
            "kinesis.customers_stream_arn must be a stream ARN",
        ),
        (
            {"kinesis": {**MSF_GROUPS["kinesis"], "initial_position": "AT_TIMESTAMP"}},
            "kinesis.initial_timestamp is required",
        ),
        (
            {
                "kinesis": {
                    **MSF_GROUPS["kinesis"],
                    "initial_position": "AT_TIMESTAMP",
                    "initial_timestamp": "2026-11-24",
                }
            },
            "kinesis.initial_timestamp must be an ISO-8601 timestamp with an offset",
        ),
        (
            {"kinesis": {**MSF_GROUPS["kinesis"], "records_per_call": "20000"}},
            "kinesis.records_per_call must be at most 10000",
        ),
        ({"kinesis": {**MSF_GROUPS["kinesis"], "reader_type": "EFO"}}, "unknown propert(ies) ['reader_type']"),
        ({"kinesis": {**MSF_GROUPS["kinesis"], "stream": "x"}}, "unknown propert(ies) ['stream'] in group 'kinesis'"),
        ({"geocoding": {"url": "x"}}, "unknown property group(s) ['geocoding']"),
        ({"job": {"source": "kinesis", "dedup_window_hours": "a day"}}, "job.dedup_window_hours must be a number"),
        ({"job": {"source": "kinesis", "dedup_window_hours": "inf"}}, "job.dedup_window_hours must be a finite number"),
        (
            {"job": {"source": "kinesis", "out_of_orderness_seconds": "nan"}},
            "job.out_of_orderness_seconds must be a finite",
        ),
        (
            {"job": {"source": "kinesis", "checkpoint_interval_seconds": "1e300"}},
            "job.checkpoint_interval_seconds is too long",
        ),
        ({"job": {"source": "kinesis", "parallelism": "1e12"}}, "job.parallelism must be at most 2147483647"),
        ({"curated": {}}, "curated.path is required"),
        ({"geocoder": {"url": "localhost:8080"}}, "geocoder.url must be an http(s) URL"),
        ({"geocoder": {"url": "http://g", "batch_size": "500"}}, "geocoder.batch_size must be at most 100"),
        ({"geocoder": {"url": "http://g", "batch_size": "2.5"}}, "geocoder.batch_size must be a whole number"),
        ({"geocoder": {"url": "http://g", "auth": "iam"}}, "geocoder.region is required when geocoder.auth is iam"),
        (
            {"opensearch": {"url": "http://os", "auth": "basic", "username": "job"}},
            "opensearch auth basic takes one of password and password_secret_arn",
        ),
        (
            {
                "opensearch": {
                    "url": "http://os",
                    "auth": "basic",
                    "username": "job",
                    "password": "p",
                    "password_secret_arn": SECRET,
                }
            },
            "opensearch auth basic takes one of password and password_secret_arn",
        ),
        (
            {"opensearch": {"url": "http://os", "auth": "basic", "username": "job", "password_secret_arn": "writer"}},
            "opensearch.password_secret_arn must be a Secrets Manager secret ARN",
        ),
        ({"opensearch": {"url": "http://os", "auth": "basic", "password": "p"}}, "opensearch.username is required"),
        ({"opensearch": {"url": "http://os", "auth": "sigv4"}}, "opensearch.region is required"),
        ({"opensearch": {"url": "http://os", "auth": "iam"}}, "opensearch.auth must be one of none, basic, sigv4"),
    ],
)
def test_bad_configuration_is_refused_with_the_property_named(change, message):
    with pytest.raises(ConfigError) as refused:
        build_config({**MSF_GROUPS, **change})
    assert message in str(refused.value)


def test_a_password_kept_in_a_secret_reaches_the_sink_as_its_arn_only():
    """The password itself never travels through the properties or the SQL: the writer reads the
    secret when it opens (tests/test_flink_opensearch.py runs it against moto's Secrets Manager)."""
    from flink_app.sinks import opensearch_sink_ddl

    opensearch = {"url": "https://os.example", "auth": "basic", "username": "job", "password_secret_arn": SECRET}
    settings = build_config({**MSF_GROUPS, "opensearch": opensearch}).opensearch
    ddl = opensearch_sink_ddl(settings, "s3://curated/dlq")
    assert f"'password-secret-arn' = '{SECRET}'" in ddl and "'password'" not in ddl
    assert "'username' = 'job'" in ddl


def test_geocoder_and_opensearch_groups_become_typed_settings(tmp_path):
    groups = {
        **MSF_GROUPS,
        "geocoder": {
            "url": "https://abc.lambda-url.eu-west-1.on.aws",
            "auth": "iam",
            "region": "eu-west-1",
            "batch_size": "50",
            "batch_delay_ms": "5",
        },
        "opensearch": {
            "url": "https://search-x.es.amazonaws.com",
            "auth": "sigv4",
            "region": "eu-west-1",
            "bulk_max_mb": "2",
        },
    }
    config = build_config(groups)
    assert (config.geocoder.sigv4_region, config.geocoder.batch_size, config.geocoder.batch_delay_seconds) == (
        "eu-west-1",
        50,
        0.005,
    )
    assert (config.opensearch.sigv4_region, config.opensearch.index, config.opensearch.bulk_max_bytes) == (
        "eu-west-1",
        "orders-write",
        2 * 2**20,
    )
    assert build_config(MSF_GROUPS).geocoder is None and build_config(MSF_GROUPS).opensearch is None
    overridden = load_config(
        parse_arguments(
            [
                "--properties",
                str(write_properties(tmp_path / "p.json", MSF_GROUPS)),
                "--geocoder-url",
                "http://127.0.0.1:8080",
                "--opensearch-url",
                "http://127.0.0.1:9200",
            ]
        )
    )
    assert (overridden.geocoder.url, overridden.opensearch.url) == ("http://127.0.0.1:8080", "http://127.0.0.1:9200")


def test_the_job_exits_with_a_clear_error_not_a_stack_trace(tmp_path):
    properties = write_properties(tmp_path / "p.json", {**MSF_GROUPS, "job": {"source": "kinesis", "parallelism": "0"}})
    finished = subprocess.run(
        [sys.executable, "-m", "flink_app", "--properties", str(properties)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert "configuration error: job.parallelism must be at least 1" in finished.stderr
    assert "Traceback" not in finished.stderr

    for stream in ("customers", "addresses", "sales"):
        (tmp_path / "bus" / stream).mkdir(parents=True)
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "flink_app",
            "--bus",
            str(tmp_path / "bus"),
            "--reference",
            str(tmp_path / "nowhere"),
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "table items: no .csv or .parquet file in" in missing.stderr
    assert "Traceback" not in missing.stderr


@pytest.mark.parametrize(
    "bounded, message",
    [
        (True, "the bus has no folder {bus}/addresses for the addresses stream"),
        (False, "the bus has no folder {bus}/addresses for the addresses stream; create it (empty is fine)"),
    ],
)
def test_a_missing_stream_folder_is_named_at_start(tmp_path, bounded, message):
    bus = tmp_path / "bus"
    for stream in ("customers", "sales"):
        (bus / stream).mkdir(parents=True)
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "flink_app",
            "--bus",
            str(bus),
            "--reference",
            str(tmp_path),
            "--out",
            str(tmp_path / "out"),
            *(["--bounded"] if bounded else []),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2 and message.format(bus=bus) in finished.stderr
    missing_bus = subprocess.run(
        [
            sys.executable,
            "-m",
            "flink_app",
            "--bus",
            str(tmp_path / "nowhere"),
            "--reference",
            str(tmp_path),
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing_bus.returncode == 2 and f"the bus folder {tmp_path / 'nowhere'} does not exist" in missing_bus.stderr


def kinesis_config(**kinesis):
    return build_config({**MSF_GROUPS, "kinesis": {**MSF_GROUPS["kinesis"], **kinesis}}).kinesis


def test_a_start_time_becomes_epoch_milliseconds():
    settings = kinesis_config(initial_position="AT_TIMESTAMP", initial_timestamp="2026-11-24T11:00:00.250+01:00")
    assert settings.initial_timestamp_ms == 1_795_514_400_250


def test_the_endpoints_come_from_the_standard_variables_unless_a_property_names_one(monkeypatch):
    from flink_app.aws_endpoints import s3_filesystem_settings

    assert kinesis_config().endpoint is None and s3_filesystem_settings() == {}  # AWS itself
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:5001")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert kinesis_config().endpoint == "http://127.0.0.1:5000"
    assert (
        kinesis_config(endpoint="https://vpce-1.kinesis.eu-west-1.vpce.amazonaws.com").endpoint
        == "https://vpce-1.kinesis.eu-west-1.vpce.amazonaws.com"
    )
    assert s3_filesystem_settings() == {
        "s3.endpoint": "http://127.0.0.1:5001",
        "s3.path.style.access": "true",
        "s3.endpoint.region": "eu-west-1",
    }
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert kinesis_config().endpoint is None and s3_filesystem_settings() == {}
