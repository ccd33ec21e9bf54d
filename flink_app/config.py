"""The job's configuration: MSF property groups (`application_properties.json`), read once into a
typed `JobConfig` and checked at start. In MSF the runtime provides the file at
/etc/flink/application_properties.json; locally the command line (flink_app.__main__) overrides it.

The file is a list of groups, as MSF writes it:

    [{"PropertyGroupId": "curated", "PropertyMap": {"path": "s3://bucket/curated"}}, ...]

`PROPERTIES` below lists every group and key the job reads; anything else is an error, so that a
misspelt key does not silently fall back to its default.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flink_app.aws_endpoints import endpoint_url
from flink_app.geocoder_client import MAX_BATCH, GeocoderSettings
from flink_app.reference import FORMATS, ReferenceSource

MSF_PROPERTIES = Path("/etc/flink/application_properties.json")
STREAMS = ("customers", "addresses", "sales")
INITIAL_POSITIONS = ("LATEST", "TRIM_HORIZON", "AT_TIMESTAMP")
MAX_RECORDS_PER_CALL = 10_000  # GetRecords' limit
JAVA_INT_MAX = 2**31 - 1  # counts and sizes go to Java ints
MAX_MILLIS = 100 * 365 * 86_400_000  # a century: durations go to Java longs, with sums and offsets of their own
SECRET_ARN = re.compile(r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+")
MSF_RUN_OPTIONS = "kinesis.analytics.flink.run.options"  # MSF's own group (entry point, jars): not the job's

# group -> key -> default (None: no default; required where the setting is used)
PROPERTIES: dict[str, dict[str, str | None]] = {
    "job": {
        "source": "bus",
        "parallelism": None,
        "out_of_orderness_seconds": "60",
        "idle_timeout_seconds": "30",
        "dedup_window_hours": "24",
        "join_state_ttl_hours": "0",
        "checkpoint_interval_seconds": "10",
        "checkpoint_dir": None,
        "restore_from": None,
    },
    "bus": {"path": None, "bounded": "false", "watch_interval_seconds": "2"},
    "kinesis": {
        "region": None,
        "customers_stream_arn": None,
        "addresses_stream_arn": None,
        "sales_stream_arn": None,
        "initial_position": "TRIM_HORIZON",
        "initial_timestamp": None,
        "endpoint": None,
        "records_per_call": "10000",
        "poll_interval_ms": "1000",
        "shard_discovery_seconds": "10",
    },
    # items_path, promos_path: default <path>/items, <path>/promos; no format: each file by its extension
    "reference": {"path": None, "items_path": None, "promos_path": None, "format": None, "refresh_minutes": "15"},
    "curated": {"path": None},
    # no url: geocoding off, every address goes on with geocode.status `disabled`
    "geocoder": {
        "url": None,
        "implementation": "java",
        "auth": "none",
        "region": None,
        "batch_size": "100",
        "batch_delay_ms": "20",
        "timeout_seconds": "5",
        "max_attempts": "4",
        "requests_per_second": "0",
        "connections": "4",
        "cache_size": "100000",
    },
    # no url: the orders go to the curated sink only
    "opensearch": {
        "url": None,
        "index": "orders-write",
        "auth": "none",
        "username": None,
        "password": None,
        "password_secret_arn": None,
        "region": None,
        "bulk_max_documents": "1000",
        "bulk_max_mb": "5",
        "flush_interval_ms": "1000",
        "max_attempts": "5",
        "max_in_flight_requests": "4",
    },
}


class ConfigError(Exception):
    """Configuration that the job cannot run with; the message names the property."""


@dataclass(frozen=True)
class BusSettings:
    path: Path
    bounded: bool
    watch_interval_seconds: float


@dataclass(frozen=True)
class KinesisSettings:
    region: str
    stream_arns: dict[str, str]  # stream name -> stream ARN
    initial_position: str
    initial_timestamp_ms: int | None  # for AT_TIMESTAMP
    endpoint: str | None  # None: the region's (or AWS_ENDPOINT_URL_KINESIS, flink_app.aws_endpoints)
    records_per_call: int  # GetRecords' Limit
    poll_interval_ms: int  # how soon a shard that is caught up is asked again
    shard_discovery_ms: int  # how often the shards are listed (to find those a resharding made)


@dataclass(frozen=True)
class OpenSearchSettings:
    url: str
    index: str  # the write alias
    username: str | None  # basic auth (the security plugin's internal users)
    password: str | None  # or, outside a laptop, the secret holding it (the writer reads it when it opens)
    password_secret_arn: str | None
    sigv4_region: str | None  # SigV4 for Amazon OpenSearch Service
    bulk_max_documents: int
    bulk_max_bytes: int
    flush_interval_ms: int
    max_attempts: int
    max_in_flight_requests: int  # per subtask; the task waits (backpressure) while that many are unanswered


@dataclass(frozen=True)
class JobConfig:
    bus: BusSettings | None  # exactly one of bus and kinesis is set
    kinesis: KinesisSettings | None
    reference: ReferenceSource
    reference_refresh_seconds: float
    curated_path: str  # a local folder or an s3:// URI: orders/ and dlq/ go under it
    parallelism: int | None
    out_of_orderness_ms: int
    idle_timeout_ms: int  # 0: no idleness (a bounded run, where every source ends)
    dedup_window_ms: int
    join_state_ttl_ms: int  # 0: keep every key's current version for ever
    checkpoint_interval_ms: int
    checkpoint_dir: str | None
    restore_from: str | None
    geocoder: GeocoderSettings | None  # None: geocoding off
    opensearch: OpenSearchSettings | None  # None: no OpenSearch sink
    msf: bool = False  # in Managed Service for Apache Flink: the application's jarfile holds the helper

    @property
    def bounded(self) -> bool:
        return self.bus is not None and self.bus.bounded


def read_property_groups(path: Path) -> dict[str, dict[str, str]]:
    """The groups of an MSF `application_properties.json`."""
    try:
        groups = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None
    if not isinstance(groups, list):
        raise ConfigError(f"{path}: expected a list of property groups")
    result: dict[str, dict[str, str]] = {}
    for group in groups:
        if not isinstance(group, dict) or not isinstance(group.get("PropertyMap"), dict):
            raise ConfigError(f"{path}: each group needs PropertyGroupId and PropertyMap, got {group!r}")
        result[str(group.get("PropertyGroupId"))] = {str(k): str(v) for k, v in group["PropertyMap"].items()}
    return result


def build_config(groups: dict[str, dict[str, str]]) -> JobConfig:
    """The typed configuration, defaults filled in; `ConfigError` on anything unknown or invalid."""
    values = _with_defaults(groups)
    source = _choice(values, "job", "source", ("bus", "kinesis"))
    bus = kinesis = None
    if source == "bus":
        bus = BusSettings(
            Path(_required(values, "bus", "path")),
            _boolean(values, "bus", "bounded"),
            _number(values, "bus", "watch_interval_seconds"),
        )
    else:
        kinesis = _kinesis(values)
    bounded = bus is not None and bus.bounded
    parallelism = values["job"]["parallelism"]
    return JobConfig(
        bus=bus,
        kinesis=kinesis,
        reference=_reference(values),
        reference_refresh_seconds=_number(values, "reference", "refresh_minutes") * 60,
        curated_path=_required(values, "curated", "path").rstrip("/"),
        parallelism=None if parallelism is None else _integer(values, "job", "parallelism", 1),
        out_of_orderness_ms=_millis(values, "job", "out_of_orderness_seconds", 1),
        idle_timeout_ms=0 if bounded else _millis(values, "job", "idle_timeout_seconds", 1),
        dedup_window_ms=_millis(values, "job", "dedup_window_hours", 3600),
        join_state_ttl_ms=_millis(values, "job", "join_state_ttl_hours", 3600),
        checkpoint_interval_ms=_millis(values, "job", "checkpoint_interval_seconds", 1, minimum=0.1),
        checkpoint_dir=values["job"]["checkpoint_dir"],
        restore_from=values["job"]["restore_from"],
        geocoder=_geocoder(values),
        opensearch=_opensearch(values),
        msf=MSF_RUN_OPTIONS in groups,
    )


def _with_defaults(groups: dict[str, dict[str, str]]) -> dict[str, dict[str, str | None]]:
    unknown_groups = set(groups) - set(PROPERTIES) - {MSF_RUN_OPTIONS}
    if unknown_groups:
        raise ConfigError(f"unknown property group(s) {sorted(unknown_groups)}; known: {list(PROPERTIES)}")
    values = {}
    for group, defaults in PROPERTIES.items():
        given = groups.get(group, {})
        unknown = set(given) - set(defaults)
        if unknown:
            raise ConfigError(f"unknown propert(ies) {sorted(unknown)} in group '{group}'; known: {list(defaults)}")
        values[group] = {**defaults, **{k: v for k, v in given.items() if v != ""}}
    return values


def _kinesis(values: dict[str, dict[str, str | None]]) -> KinesisSettings:
    position = _choice(values, "kinesis", "initial_position", INITIAL_POSITIONS)
    timestamp_ms = None
    if position == "AT_TIMESTAMP":
        timestamp_ms = _epoch_millis(values, "kinesis", "initial_timestamp")
    records_per_call = _integer(values, "kinesis", "records_per_call", 1)
    if records_per_call > MAX_RECORDS_PER_CALL:
        raise ConfigError(
            f"kinesis.records_per_call must be at most {MAX_RECORDS_PER_CALL} (GetRecords' limit), "
            f"got {records_per_call}"
        )
    arns = {}
    for stream in STREAMS:
        arn = _required(values, "kinesis", f"{stream}_stream_arn")
        if not arn.startswith("arn:") or ":stream/" not in arn:
            raise ConfigError(
                f"kinesis.{stream}_stream_arn must be a stream ARN (arn:aws:kinesis:…:stream/NAME), got {arn!r}"
            )
        arns[stream] = arn
    return KinesisSettings(
        region=_required(values, "kinesis", "region"),
        stream_arns=arns,
        initial_position=position,
        initial_timestamp_ms=timestamp_ms,
        endpoint=values["kinesis"]["endpoint"] or endpoint_url("KINESIS"),
        records_per_call=records_per_call,
        poll_interval_ms=_integer(values, "kinesis", "poll_interval_ms", 1),
        shard_discovery_ms=_millis(values, "kinesis", "shard_discovery_seconds", 1, minimum=1),
    )


def _epoch_millis(values: dict, group: str, key: str) -> int:
    text = _required(values, group, key)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ConfigError(f"{group}.{key} must be an ISO-8601 timestamp with an offset, got {text!r}")
    return round(moment.timestamp() * 1000)


def _reference(values: dict[str, dict[str, str | None]]) -> ReferenceSource:
    group = values["reference"]
    file_format = None if group["format"] is None else _choice(values, "reference", "format", FORMATS)
    base = group["path"]
    tables: dict[str, str] = {}
    for table in ("items", "promos"):
        path = group[f"{table}_path"]
        if path is None:
            if base is None:
                raise ConfigError(
                    "reference.path is required (unless both reference.items_path and reference.promos_path are given)"
                )
            path = f"{base.rstrip('/')}/{table}"
        tables[table] = path
    return ReferenceSource(tables["items"], tables["promos"], file_format)


def _geocoder(values: dict[str, dict[str, str | None]]) -> GeocoderSettings | None:
    url = values["geocoder"]["url"]
    if url is None:
        return None
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"geocoder.url must be an http(s) URL, got {url!r}")
    region = None
    if _choice(values, "geocoder", "auth", ("none", "iam")) == "iam":
        region = values["geocoder"]["region"]
        if not region:
            raise ConfigError("geocoder.region is required when geocoder.auth is iam")
    batch_size = _integer(values, "geocoder", "batch_size", 1)
    if batch_size > MAX_BATCH:
        raise ConfigError(f"geocoder.batch_size must be at most {MAX_BATCH} (the API's limit), got {batch_size}")
    return GeocoderSettings(
        url=url,
        batch_size=batch_size,
        batch_delay_seconds=_number(values, "geocoder", "batch_delay_ms") / 1000,
        timeout_seconds=_number(values, "geocoder", "timeout_seconds", minimum=0.1),
        max_attempts=_integer(values, "geocoder", "max_attempts", 1),
        requests_per_second=_number(values, "geocoder", "requests_per_second"),
        connections=_integer(values, "geocoder", "connections", 1),
        cache_size=_integer(values, "geocoder", "cache_size", 1),
        sigv4_region=region,
        implementation=_choice(values, "geocoder", "implementation", ("java", "python")),
    )


def opensearch_settings(groups: dict[str, dict[str, str]]) -> OpenSearchSettings | None:
    """The `opensearch` group alone, defaults filled in (None without a url)."""
    return _opensearch(_with_defaults(groups))


def _opensearch(values: dict[str, dict[str, str | None]]) -> OpenSearchSettings | None:
    group = values["opensearch"]
    if group["url"] is None:
        return None
    if not group["url"].startswith(("http://", "https://")):
        raise ConfigError(f"opensearch.url must be an http(s) URL, got {group['url']!r}")
    auth = _choice(values, "opensearch", "auth", ("none", "basic", "sigv4"))
    username = password = password_secret_arn = region = None
    if auth == "basic":
        username = _required(values, "opensearch", "username")
        password, password_secret_arn = group["password"], group["password_secret_arn"]
        if (password is None) == (password_secret_arn is None):
            raise ConfigError("opensearch auth basic takes one of password and password_secret_arn")
        if password_secret_arn is not None and not SECRET_ARN.fullmatch(password_secret_arn):
            raise ConfigError(
                f"opensearch.password_secret_arn must be a Secrets Manager secret ARN, got {password_secret_arn!r}"
            )
    if auth == "sigv4":
        region = _required(values, "opensearch", "region")
    return OpenSearchSettings(
        url=group["url"],
        index=_required(values, "opensearch", "index"),
        username=username,
        password=password,
        password_secret_arn=password_secret_arn,
        sigv4_region=region,
        bulk_max_documents=_integer(values, "opensearch", "bulk_max_documents", 1),
        bulk_max_bytes=round(_number(values, "opensearch", "bulk_max_mb", minimum=0.01) * 2**20),
        flush_interval_ms=_integer(values, "opensearch", "flush_interval_ms", 1),
        max_attempts=_integer(values, "opensearch", "max_attempts", 1),
        max_in_flight_requests=_integer(values, "opensearch", "max_in_flight_requests", 1),
    )


def _required(values: dict, group: str, key: str) -> str:
    value = values[group][key]
    if value is None:
        raise ConfigError(f"{group}.{key} is required")
    return value


def _choice(values: dict, group: str, key: str, allowed: tuple[str, ...]) -> str:
    value = _required(values, group, key)
    if value not in allowed:
        raise ConfigError(f"{group}.{key} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _boolean(values: dict, group: str, key: str) -> bool:
    value = _required(values, group, key).lower()
    if value not in ("true", "false"):
        raise ConfigError(f"{group}.{key} must be true or false, got {value!r}")
    return value == "true"


def _number(values: dict, group: str, key: str, minimum: float = 0) -> float:
    text = _required(values, group, key)
    try:
        number = float(text)
    except ValueError:
        raise ConfigError(f"{group}.{key} must be a number, got {text!r}") from None
    if not math.isfinite(number):
        raise ConfigError(f"{group}.{key} must be a finite number, got {text!r}")
    if not number >= minimum:
        raise ConfigError(f"{group}.{key} must be at least {minimum:g}, got {text!r}")
    return number


def _integer(values: dict, group: str, key: str, minimum: int) -> int:
    number = _number(values, group, key, minimum)
    if number != int(number):
        raise ConfigError(f"{group}.{key} must be a whole number, got {values[group][key]!r}")
    if number > JAVA_INT_MAX:
        raise ConfigError(f"{group}.{key} must be at most {JAVA_INT_MAX}, got {values[group][key]!r}")
    return int(number)


def _millis(values: dict, group: str, key: str, seconds_per_unit: float, minimum: float = 0) -> int:
    millis = round(_number(values, group, key, minimum) * seconds_per_unit * 1000)
    if millis > MAX_MILLIS:
        raise ConfigError(
            f"{group}.{key} is too long: at most {MAX_MILLIS / (seconds_per_unit * 1000):g}, got {values[group][key]!r}"
        )
    return millis
