"""The enrichment step addresses pass through before their versioned view: it adds the address's
location and geocoding outcome (docs/contract.md §3). With a geocoder configured it is Flink's Async I/O
over batches of addresses: in the JVM (GeocodeBatches, the contract's API) or, with
`geocoder.implementation = python`, with `GeocodeAddresses`, the class to change to call another API;
without one every address goes on with status `disabled` and no location (the Java helper's NotGeocoded)."""

from __future__ import annotations

import json

from pyflink.common import Row, Time, Types
from pyflink.datastream import AsyncDataStream, AsyncFunction, DataStream, RuntimeContext

from flink_app.geocoder_client import GEOCODABLE_FIELDS, GeocoderClient, GeocoderSettings, GeocoderStats
from flink_app.java_helper import address_batches, geocode_batches, geocoded_addresses, not_geocoded, partition_by_field
from flink_app.metrics import job_metrics

# The columns appended to each address row, in order (EncodeDocument reads them by these names).
GEOCODE_COLUMNS = {
    "location_lat": Types.DOUBLE(),
    "location_lon": Types.DOUBLE(),
    "geocode_status": Types.STRING(),
    "geocode_precision": Types.STRING(),
    "geocode_provider": Types.STRING(),
}


# What crosses into and back from Python: a batch (AddressBatches, GeocodedAddresses).
GEOCODED_BATCH = Types.ROW_NAMED(["rows", "geocodes"], [Types.PRIMITIVE_ARRAY(Types.BYTE()), Types.STRING()])


class GeocodeAddresses(AsyncFunction):
    """Geocodes a batch of addresses (AddressBatches: `rows`, passed back untouched, and `places`,
    a JSON array of [address_id, *GEOCODABLE_FIELDS] per address) and returns it as `rows` with
    `geocodes`, a JSON array of [lat, lon, status, precision, provider] per address, in order. One
    `GeocoderClient` per task, made on the operator's asyncio loop at the first batch; it answers
    every address, at worst `failed`."""

    def __init__(self, settings: GeocoderSettings):
        self.settings = settings
        self.client: GeocoderClient | None = None

    def open(self, runtime_context: RuntimeContext) -> None:
        self.stats = GeocoderStats()
        metrics = job_metrics(runtime_context).add_group("geocoder")
        for name in ("requests", "addresses_sent", "reused", "cache_hits", "retries", "failures"):
            metrics.gauge(name, lambda name=name: getattr(self.stats, name))
        metrics.gauge("mean_latency_ms", lambda: self.stats.mean_latency_ms)
        # Addresses that went on `failed`, per second over a minute: the geocoding failures alarm.
        self.failed = metrics.meter("failed_addresses_per_second", time_span_in_seconds=60)

    async def async_invoke(self, batch: Row) -> list[Row]:
        if self.client is None:
            self.client = GeocoderClient(self.settings, self.stats)
        places = [(place[0], tuple(place[1:])) for place in json.loads(batch[1])]
        answers = await self.client.geocode_all(places)
        failed = sum(answer.status == "failed" for answer in answers)
        if failed:
            self.failed.mark_event(failed)
        geocodes = [[a.lat, a.lon, a.status, a.precision, a.provider] for a in answers]
        return [Row(batch[0], json.dumps(geocodes, separators=(",", ":")))]

    def close(self) -> None:
        # Flink stops the operator's loop before this call, so the session cannot be closed on it;
        # its sockets go with the Python worker.
        self.client = None


def geocoding_step(addresses: DataStream, settings: GeocoderSettings | None) -> DataStream:
    """The validated `addresses` with their GEOCODE_COLUMNS. With a geocoder, each address_id's
    versions go to one task, so that a version that did not move reuses the previous version's
    location, and go to the geocoder in batches (Python's async operator costs per element)."""
    address_type = addresses.get_type()
    output_type = Types.ROW_NAMED(
        address_type.get_field_names() + list(GEOCODE_COLUMNS),
        address_type.get_field_types() + list(GEOCODE_COLUMNS.values()),
    )
    if settings is None:
        return not_geocoded(addresses, output_type)
    batches = address_batches(
        partition_by_field(addresses, "address_id"),
        ("address_id", *GEOCODABLE_FIELDS),
        settings.batch_size,
        round(settings.batch_delay_seconds * 1000),
    )
    if settings.implementation == "java":
        geocoded = geocode_batches(batches, settings)
    else:
        # As GeocodeBatches does: ordered, so that each address keeps its place in the stream and
        # event time downstream sees the order the source delivered; no operator timeout (the
        # client answers every address itself, at worst `failed`, and a timeout would cost a timer
        # thread per element); two batches in flight per connection.
        geocoded = AsyncDataStream.ordered_wait(
            batches, GeocodeAddresses(settings), Time.milliseconds(0), settings.connections * 2, GEOCODED_BATCH
        )
        geocoded = geocoded.name("geocode addresses").uid("geocode-addresses")
    return geocoded_addresses(geocoded, address_type, output_type)
