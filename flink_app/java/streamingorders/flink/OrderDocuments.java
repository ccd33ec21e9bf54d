package streamingorders.flink;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.LocalDate;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonGenerator;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.types.Row;

/**
 * The order document of CONTRACT.md §3 for each joined sale line: a row of `line_id`, `document`
 * (the JSON object, UTF-8) and `dt`, the sale's UTC date (its partition in the curated files).
 *
 * <p>The joined row holds the sale's fields, its item's as `item_field`, its promo's as
 * `promo_field`, and the customers and addresses as of the sale with the as-of joins' prefixes
 * (see flink_app/pipeline.py); the addresses also carry their geocoding columns. The document is
 * written straight from that row by Jackson's streaming generator: building it as nested SQL rows
 * and encoding those took most of the job's CPU.
 */
public final class OrderDocuments extends RichMapFunction<Row, Row> {
    private static final String TIME_FIELD = "event_ms";
    private static final long DAY_MILLIS = 86_400_000L;

    private final DocumentFields sale;
    private final DocumentFields customer;
    private final DocumentFields address;
    private final DocumentFields item;
    private final DocumentFields promo;
    private final int[] salePositions;
    private final int[] itemPositions;
    private final int[] promoPositions;
    private final Party bill;
    private final Party ship;
    private final int orderId;
    private final int itemId;
    private final int promoId;
    private final int itemFound;
    private final int promoFound;
    private final int saleTime;
    private transient ByteArrayOutputStream buffer;
    private transient JsonGenerator json;

    /** Where a customer and its address are in the joined row. */
    private static final class Party implements java.io.Serializable {
        final int[] customer;
        final int[] address;
        final int customerFound;
        final int addressFound;
        final int lat;
        final int lon;
        final int status;
        final int precision;
        final int provider;

        Party(RowTypeInfo row, DocumentFields customerFields, String customerPrefix, DocumentFields addressFields,
              String addressPrefix) {
            customer = customerFields.positionsIn(row, customerPrefix + "_");
            address = addressFields.positionsIn(row, addressPrefix + "_");
            customerFound = DocumentFields.position(row, customerPrefix + "_customer_id");
            addressFound = DocumentFields.position(row, addressPrefix + "_address_id");
            lat = DocumentFields.position(row, addressPrefix + "_location_lat");
            lon = DocumentFields.position(row, addressPrefix + "_location_lon");
            status = DocumentFields.position(row, addressPrefix + "_geocode_status");
            precision = DocumentFields.position(row, addressPrefix + "_geocode_precision");
            provider = DocumentFields.position(row, addressPrefix + "_geocode_provider");
        }
    }

    private OrderDocuments(RowTypeInfo row, DocumentFields sale, DocumentFields customer, DocumentFields address,
                           DocumentFields item, DocumentFields promo, String[] joinPrefixes) {
        this.sale = sale;
        this.customer = customer;
        this.address = address;
        this.item = item;
        this.promo = promo;
        salePositions = sale.positionsIn(row, "");
        itemPositions = item.positionsIn(row, "item_");
        promoPositions = promo.positionsIn(row, "promo_");
        bill = new Party(row, customer, joinPrefixes[0], address, joinPrefixes[1]);
        ship = new Party(row, customer, joinPrefixes[2], address, joinPrefixes[3]);
        orderId = DocumentFields.position(row, "order_id");
        itemId = DocumentFields.position(row, "item_id");
        promoId = DocumentFields.position(row, "promo_id");
        itemFound = DocumentFields.position(row, "item_item_id");
        promoFound = DocumentFields.position(row, "promo_promo_id");
        saleTime = DocumentFields.position(row, TIME_FIELD);
    }

    /**
     * The documents of `joined`; `joinPrefixes` are the prefixes of the bill customer, its address,
     * the ship customer and its address.
     */
    public static DataStream<Row> of(DataStream<Row> joined, DocumentFields sale, DocumentFields customer,
                                     DocumentFields address, DocumentFields item, DocumentFields promo,
                                     String[] joinPrefixes) {
        OrderDocuments documents = new OrderDocuments((RowTypeInfo) joined.getType(), sale, customer, address, item,
                promo, joinPrefixes);
        return joined.map(documents, Types.ROW_NAMED(new String[] {"line_id", "document", "dt"},
                        Types.STRING, Types.PRIMITIVE_ARRAY(Types.BYTE), Types.STRING))
                .name("order documents").uid("order-documents");
    }

    @Override
    public void open(OpenContext context) throws IOException {
        buffer = new ByteArrayOutputStream(8192);
        json = new JsonFactory().setRootValueSeparator(null).createGenerator(buffer)
                .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
    }

    @Override
    public Row map(Row row) throws IOException {
        buffer.reset();
        String lineId = row.getField(orderId) + "-" + row.getField(itemId);
        json.writeStartObject();
        json.writeStringField("line_id", lineId);
        sale.write(json, row, salePositions);
        json.writeFieldName("bill_customer");
        writeCustomer(row, bill);
        json.writeFieldName("ship_customer");
        writeCustomer(row, ship);
        json.writeFieldName("item");
        writeReference(row, item, itemPositions, itemFound);
        json.writeFieldName("promo");
        writeReference(row, promo, promoPositions, promoFound);
        json.writeArrayFieldStart("missing");
        writeMissing(row);
        json.writeEndArray();
        json.writeEndObject();
        json.flush();
        long day = Math.floorDiv((Long) row.getField(saleTime), DAY_MILLIS);
        return Row.of(lineId, buffer.toByteArray(), LocalDate.ofEpochDay(day).toString());
    }

    private void writeCustomer(Row row, Party party) throws IOException {
        if (row.getField(party.customerFound) == null) {
            json.writeNull();
            return;
        }
        json.writeStartObject();
        customer.write(json, row, party.customer);
        json.writeFieldName("address");
        if (row.getField(party.addressFound) == null) {
            json.writeNull();
        } else {
            json.writeStartObject();
            address.write(json, row, party.address);
            json.writeFieldName("location");
            if (row.getField(party.lat) == null) {
                json.writeNull();
            } else {
                json.writeStartObject();
                json.writeNumberField("lat", (Double) row.getField(party.lat));
                json.writeNumberField("lon", (Double) row.getField(party.lon));
                json.writeEndObject();
            }
            json.writeObjectFieldStart("geocode");
            writeStringOrNull("status", row.getField(party.status));
            writeStringOrNull("precision", row.getField(party.precision));
            writeStringOrNull("provider", row.getField(party.provider));
            json.writeEndObject();
            json.writeEndObject();
        }
        json.writeEndObject();
    }

    private void writeReference(Row row, DocumentFields fields, int[] positions, int found) throws IOException {
        if (row.getField(found) == null) {
            json.writeNull();
        } else {
            json.writeStartObject();
            fields.write(json, row, positions);
            json.writeEndObject();
        }
    }

    /** CONTRACT.md §3: what could not be resolved; a customer's address only when the customer was. */
    private void writeMissing(Row row) throws IOException {
        writeMissing(row, bill, "bill_customer");
        writeMissing(row, ship, "ship_customer");
        if (row.getField(itemFound) == null) {
            json.writeString("item");
        }
        if (row.getField(promoId) != null && row.getField(promoFound) == null) {
            json.writeString("promo");
        }
    }

    private void writeMissing(Row row, Party party, String name) throws IOException {
        if (row.getField(party.customerFound) == null) {
            json.writeString(name);
        } else if (row.getField(party.addressFound) == null) {
            json.writeString(name + ".address");
        }
    }

    private void writeStringOrNull(String name, Object value) throws IOException {
        if (value == null) {
            json.writeNullField(name);
        } else {
            json.writeStringField(name, (String) value);
        }
    }
}
