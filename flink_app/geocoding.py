"""The enrichment step addresses pass through before their versioned view: it adds the address's
location and geocoding outcome (docs/contract.md §3). With a geocoder configured it is Flink's Async I/O
with `GeocodeAddresses`; without one every address goes on with status `disabled` and no location
(the Java helper's NotGeocoded)."""

from __future__ import annotations

from pyflink.common import Row, Time, Types
from pyflink.datastream import AsyncDataStream, AsyncFunction, DataStream, RuntimeContext

from flink_app.geocoder_client import GEOCODABLE_FIELDS, GeocoderClient, GeocoderSettings, GeocoderStats
from flink_app.java_helper import not_geocoded, partition_by_field
from flink_app.metrics import job_metrics

# The columns appended to each address row, in order (EncodeDocument reads them by these names).
GEOCODE_COLUMNS = {
    "location_lat": Types.DOUBLE(),
    "location_lon": Types.DOUBLE(),
    "geocode_status": Types.STRING(),
    "geocode_precision": Types.STRING(),
    "geocode_provider": Types.STRING(),
}


class GeocodeAddresses(AsyncFunction):
    """One `GeocoderClient` per task, made on the operator's asyncio loop at the first address."""

    def __init__(self, settings: GeocoderSettings, address_columns: list[str]):
        self.settings = settings
        self.id_position = address_columns.index("address_id")
        self.field_positions = [address_columns.index(name) for name in GEOCODABLE_FIELDS]
        self.client: GeocoderClient | None = None

    def open(self, runtime_context: RuntimeContext) -> None:
        self.stats = GeocoderStats()
        metrics = job_metrics(runtime_context).add_group("geocoder")
        for name in ("requests", "addresses_sent", "reused", "cache_hits", "retries", "failures"):
            metrics.gauge(name, lambda name=name: getattr(self.stats, name))
        metrics.gauge("mean_latency_ms", lambda: self.stats.mean_latency_ms)
        # Addresses that went on `failed`, per second over a minute: the geocoding failures alarm.
        self.failed = metrics.meter("failed_addresses_per_second", time_span_in_seconds=60)

    async def async_invoke(self, address: Row) -> list[Row]:
        if self.client is None:
            self.client = GeocoderClient(self.settings, self.stats)
        key = tuple(address[i] for i in self.field_positions)
        found = await self.client.geocode(address[self.id_position], key)
        if found.status == "failed":
            self.failed.mark_event()
        return [Row(*address, found.lat, found.lon, found.status, found.precision, found.provider)]

    def close(self) -> None:
        # Flink stops the operator's loop before this call, so the session cannot be closed on it;
        # its sockets go with the Python worker.
        self.client = None


def geocoding_step(addresses: DataStream, settings: GeocoderSettings | None) -> DataStream:
    """The validated `addresses` with their GEOCODE_COLUMNS. With a geocoder, each address_id's
    versions go to one task, so that a version that did not move reuses the previous version's
    location."""
    address_type = addresses.get_type()
    output_type = Types.ROW_NAMED(
        address_type.get_field_names() + list(GEOCODE_COLUMNS),
        address_type.get_field_types() + list(GEOCODE_COLUMNS.values()),
    )
    if settings is None:
        return not_geocoded(addresses, output_type)
    # Ordered: each address keeps its place in the stream, so event time downstream sees the order
    # the source delivered. No operator timeout: the client answers every address itself (at worst
    # `failed`), and a timeout would cost a timer thread per element.
    capacity = settings.batch_size * settings.connections * 2
    geocoder = GeocodeAddresses(settings, address_type.get_field_names())
    return (
        AsyncDataStream.ordered_wait(
            partition_by_field(addresses, "address_id"), geocoder, Time.milliseconds(0), capacity, output_type
        )
        .name("geocode addresses")
        .uid("geocode-addresses")
    )
