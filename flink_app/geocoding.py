"""The enrichment step addresses pass through before their versioned view: it adds the address's
location and geocoding outcome (CONTRACT.md §3). The Async I/O geocoding client fills it in; until
it is configured every address goes on with status `disabled` and no location."""

from __future__ import annotations

from pyflink.common import Row, Types
from pyflink.datastream import DataStream, MapFunction

# (column, type) appended to each address row
GEOCODE_COLUMNS = [("location_lat", "double"), ("location_lon", "double"), ("geocode_status", "str"),
                   ("geocode_precision", "str"), ("geocode_provider", "str")]


class NotGeocoded(MapFunction):
    def map(self, address: Row) -> Row:
        return Row(*address, None, None, "disabled", None, None)


def geocoding_disabled(addresses: DataStream, output_type) -> DataStream:
    return addresses.map(NotGeocoded(), output_type=output_type).name("geocoding disabled").uid("geocode-addresses")
