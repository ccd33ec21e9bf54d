package streamingorders.flink;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.types.Row;

/**
 * The geocoding step when no geocoder is configured: each address goes on with the geocoding
 * columns of flink_app/geocoding.py (location_lat, location_lon, geocode_status,
 * geocode_precision, geocode_provider) set to no location and status `disabled`. Java, so that a
 * job without a geocoder runs no Python on its data paths.
 */
public final class NotGeocoded implements MapFunction<Row, Row> {
    private static final Row DISABLED = Row.of(null, null, "disabled", null, null);

    public static DataStream<Row> of(DataStream<Row> addresses, RowTypeInfo outputType) {
        return addresses.map(new NotGeocoded()).returns(outputType).name("geocoding disabled").uid("geocode-addresses");
    }

    @Override
    public Row map(Row address) {
        return Row.join(address, DISABLED);
    }
}
