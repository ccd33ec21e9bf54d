package streamingorders.flink;

import java.io.IOException;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;

/**
 * The addresses of each geocoded batch, one by one in their batch's order, each with its
 * geocoding columns (location_lat, location_lon, geocode_status, geocode_precision,
 * geocode_provider; flink_app/geocoding.py). A batch comes from the async operator (Java
 * {@link GeocodeBatches} or Python's GeocodeAddresses) as the
 * {@link AddressBatches} `rows` it was given and `geocodes`, a JSON array of one
 * `[lat, lon, status, precision, provider]` per address, in the same order.
 */
public final class GeocodedAddresses extends RichFlatMapFunction<Row, Row> {
    /** A geocoded batch: the rows it was given, and their geocodes. */
    public static final TypeInformation<Row> BATCH_TYPE =
            Types.ROW_NAMED(new String[] {"rows", "geocodes"}, Types.PRIMITIVE_ARRAY(Types.BYTE), Types.STRING);
    private static final JsonFactory JSON = new JsonFactory();

    private final RowTypeInfo addressType;
    private transient TypeSerializer<Row> serializer;

    GeocodedAddresses(RowTypeInfo addressType) {
        this.addressType = addressType;
    }

    /** `batches` (rows, geocodes) as the addresses of `addressType` joined with their geocodes (`outputType`). */
    public static DataStream<Row> of(DataStream<Row> batches, RowTypeInfo addressType, RowTypeInfo outputType) {
        return batches.flatMap(new GeocodedAddresses(addressType)).returns(outputType).name("geocoded addresses").uid("geocoded-addresses");
    }

    @Override
    public void open(OpenContext context) {
        serializer = getRuntimeContext().createSerializer(addressType);
    }

    @Override
    public void flatMap(Row batch, Collector<Row> out) throws IOException {
        DataInputDeserializer rows = new DataInputDeserializer((byte[]) batch.getField(0));
        try (JsonParser geocodes = JSON.createParser((String) batch.getField(1))) {
            expect(geocodes.nextToken() == JsonToken.START_ARRAY);
            while (geocodes.nextToken() == JsonToken.START_ARRAY) {
                expect(rows.available() > 0);
                Row address = serializer.deserialize(rows);
                Object[] columns = new Object[5];
                for (int i = 0; i < columns.length; i++) {
                    JsonToken token = geocodes.nextToken();
                    columns[i] = token == JsonToken.VALUE_NULL ? null
                            : i < 2 ? (Object) geocodes.getDoubleValue() : geocodes.getText();
                }
                expect(geocodes.nextToken() == JsonToken.END_ARRAY);
                out.collect(Row.join(address, Row.of(columns)));
            }
            expect(rows.available() == 0);
        }
    }

    private static void expect(boolean condition) {
        if (!condition) {
            throw new IllegalStateException("a geocoded batch must hold one [lat, lon, status, precision, provider] per address, in order");
        }
    }
}
