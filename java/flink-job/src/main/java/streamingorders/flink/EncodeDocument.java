package streamingorders.flink;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Arrays;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonGenerator;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.types.Row;

/**
 * Each row of a stream as the few fields the job still needs (`keep`: keys and references), its
 * `event_ms` and its `document`, its part of the order document: its contract fields as the members
 * of a JSON object (DocumentFields), and for a geocoded address its `location`, its
 * `coarse_location` and `geocode`.
 *
 * <p>Encoding here, once per record, rather than at the end: a customer or address version is
 * encoded once, not once for every sale that joins it, and the sale lines travel through the joins
 * as a few fields and bytes instead of about a hundred fields.
 */
public final class EncodeDocument extends RichMapFunction<Row, Row> {
    private static final String[] GEOCODE_MEMBERS = {"status", "precision", "provider"};
    /**
     * Decimal places of `coarse_location`: 0.01 degree is about 1 km, enough to map orders, too
     * coarse to point at a house (the analyst sees this one, not `location`).
     */
    static final int COARSE_LOCATION_PLACES = 2;

    private final DocumentFields fields;
    private final int[] fieldPositions;
    private final int[] keptPositions;
    private final int[] geocodePositions;  // lat, lon, status, precision, provider; null: not an address
    private transient JsonMembers members;

    private EncodeDocument(RowTypeInfo rowType, DocumentFields fields, String[] kept, String[] geocodeColumns) {
        this.fields = fields;
        fieldPositions = fields.positionsIn(rowType);
        keptPositions = DocumentFields.positions(rowType, kept);
        geocodePositions = geocodeColumns == null ? null : DocumentFields.positions(rowType, geocodeColumns);
    }

    /**
     * `rows` encoded; `geocodeColumns` (location_lat, location_lon, then the status, precision and
     * provider of the geocoding) when they are addresses from the geocoding step, null otherwise.
     */
    public static DataStream<Row> of(DataStream<Row> rows, DocumentFields fields, String[] keep,
                                     String[] geocodeColumns, String stream) {
        RowTypeInfo rowType = (RowTypeInfo) rows.getType();
        String[] kept = Arrays.copyOf(keep, keep.length + 1);
        kept[keep.length] = Columns.EVENT_MS;
        int[] positions = DocumentFields.positions(rowType, kept);
        TypeInformation<?>[] types = new TypeInformation<?>[kept.length + 1];
        for (int i = 0; i < kept.length; i++) {
            types[i] = rowType.getTypeAt(positions[i]);
        }
        types[kept.length] = Types.PRIMITIVE_ARRAY(Types.BYTE);
        String[] names = Arrays.copyOf(kept, kept.length + 1);
        names[kept.length] = Columns.DOCUMENT;
        return rows.map(new EncodeDocument(rowType, fields, kept, geocodeColumns), new RowTypeInfo(types, names))
                .name("encode " + stream).uid("encode-" + stream);
    }

    @Override
    public void open(OpenContext context) {
        members = new JsonMembers();
    }

    @Override
    public Row map(Row row) throws IOException {
        JsonGenerator json = members.start();
        fields.write(json, row, fieldPositions);
        if (geocodePositions != null) {
            writeGeocoding(json, row);
        }
        Row encoded = new Row(keptPositions.length + 1);
        for (int i = 0; i < keptPositions.length; i++) {
            encoded.setField(i, row.getField(keptPositions[i]));
        }
        encoded.setField(keptPositions.length, members.end());
        return encoded;
    }

    private void writeGeocoding(JsonGenerator json, Row row) throws IOException {
        Double lat = (Double) row.getField(geocodePositions[0]);
        Double lon = (Double) row.getField(geocodePositions[1]);
        json.writeFieldName("location");
        if (lat == null) {
            json.writeNull();
        } else {
            json.writeStartObject();
            json.writeNumberField("lat", lat);
            json.writeNumberField("lon", lon);
            json.writeEndObject();
        }
        json.writeFieldName("coarse_location");
        if (lat == null) {
            json.writeNull();
        } else {
            json.writeStartObject();
            json.writeNumberField("lat", coarse(lat));
            json.writeNumberField("lon", coarse(lon));
            json.writeEndObject();
        }
        json.writeObjectFieldStart("geocode");
        for (int i = 0; i < GEOCODE_MEMBERS.length; i++) {
            Object value = row.getField(geocodePositions[2 + i]);
            if (value == null) {
                json.writeNullField(GEOCODE_MEMBERS[i]);
            } else {
                json.writeStringField(GEOCODE_MEMBERS[i], (String) value);
            }
        }
        json.writeEndObject();
    }

    /** The coordinate rounded half-even to COARSE_LOCATION_PLACES, from its exact binary value. */
    static BigDecimal coarse(double degrees) {
        return new BigDecimal(degrees).setScale(COARSE_LOCATION_PLACES, RoundingMode.HALF_EVEN);
    }
}
