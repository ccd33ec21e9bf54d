package streamingorders.flink;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.types.Row;

/**
 * The order document of docs/contract.md §3 for each joined sale line: a row of `line_id`, `document`
 * (the JSON object, UTF-8) and `dt`, the sale's UTC date (its partition in the curated files).
 *
 * <p>Its parts arrive encoded (EncodeDocument, WithReferenceData): the sale's `document`, its
 * `item_document` and `promo_document`, and each party's customer and address documents, from the
 * as-of join of that party (CustomerAsOf). Here they are put in place, with `line_id` and
 * `missing`; a part that is absent is null and listed in `missing`.
 */
public final class OrderDocuments extends RichMapFunction<Row, Row> {
    private static final long DAY_MILLIS = 86_400_000L;
    private static final byte[] ITEM = ascii(",\"item\":");
    private static final byte[] PROMO = ascii(",\"promo\":");
    private static final byte[] MISSING = ascii(",\"missing\":[");
    private static final byte[] END = ascii("]}");
    private static final byte[] ADDRESS = ascii(",\"address\":");
    private static final byte[] NULL = ascii("null");
    private static final byte[] ITEM_MISSING = ascii("\"item\"");
    private static final byte[] PROMO_MISSING = ascii("\"promo\"");

    private final int orderId;
    private final int itemId;
    private final int promoId;
    private final int saleTime;
    private final int sale;
    private final int item;
    private final int promo;
    private final Party[] parties;  // in the document's order: bill_customer, ship_customer
    private transient ByteArrayOutputStream out;
    private transient long lastDay;  // the day of the previous sale line, and its `dt`
    private transient String lastDt;

    /** Where a customer and its address are in the joined row, and their names in the document. */
    private static final class Party implements java.io.Serializable {
        final int customer;
        final int address;
        final byte[] member;
        final byte[] missing;
        final byte[] addressMissing;

        Party(RowTypeInfo row, String name) {
            customer = DocumentFields.position(row, Columns.customerDocument(name));
            address = DocumentFields.position(row, Columns.addressDocument(name));
            member = ascii(",\"" + name + "\":");
            missing = ascii("\"" + name + "\"");
            addressMissing = ascii("\"" + name + ".address\"");
        }
    }

    private OrderDocuments(RowTypeInfo row, String[] partyNames) {
        orderId = DocumentFields.position(row, "order_id");
        itemId = DocumentFields.position(row, "item_id");
        promoId = DocumentFields.position(row, "promo_id");
        saleTime = DocumentFields.position(row, Columns.EVENT_MS);
        sale = DocumentFields.position(row, Columns.DOCUMENT);
        item = DocumentFields.position(row, Columns.ITEM_DOCUMENT);
        promo = DocumentFields.position(row, Columns.PROMO_DOCUMENT);
        parties = new Party[partyNames.length];
        for (int i = 0; i < partyNames.length; i++) {
            parties[i] = new Party(row, partyNames[i]);
        }
    }

    /** The documents of `joined`, whose as-of joins were those of `partyNames`, in the document's order. */
    public static DataStream<Row> of(DataStream<Row> joined, String[] partyNames) {
        return joined.map(new OrderDocuments((RowTypeInfo) joined.getType(), partyNames),
                        Types.ROW_NAMED(new String[] {Columns.LINE_ID, Columns.DOCUMENT, Columns.DT},
                                Types.STRING, Types.PRIMITIVE_ARRAY(Types.BYTE), Types.STRING))
                .name("order documents").uid("order-documents");
    }

    @Override
    public void open(OpenContext context) {
        out = new ByteArrayOutputStream(4096);
    }

    @Override
    public Row map(Row row) {
        String lineId = row.getField(orderId) + "-" + row.getField(itemId);
        out.reset();
        out.writeBytes(ascii("{\"line_id\":\"" + lineId + "\","));
        out.writeBytes((byte[]) row.getField(sale));
        for (Party party : parties) {
            writeCustomer(row, party);
        }
        out.writeBytes(ITEM);
        writeObject(row.getField(item));
        out.writeBytes(PROMO);
        writeObject(row.getField(promo));
        out.writeBytes(MISSING);
        writeMissing(row);
        out.writeBytes(END);
        return Row.of(lineId, out.toByteArray(), dt((Long) row.getField(saleTime)));
    }

    /** The sale's UTC date; sale lines mostly come in time order, so it is rarely a new day. */
    private String dt(long saleMillis) {
        long day = Math.floorDiv(saleMillis, DAY_MILLIS);
        if (lastDt == null || day != lastDay) {
            lastDay = day;
            lastDt = LocalDate.ofEpochDay(day).toString();
        }
        return lastDt;
    }

    private void writeCustomer(Row row, Party party) {
        out.writeBytes(party.member);
        Object customer = row.getField(party.customer);
        if (customer == null) {
            out.writeBytes(NULL);
            return;
        }
        out.write('{');
        out.writeBytes((byte[]) customer);
        out.writeBytes(ADDRESS);
        writeObject(row.getField(party.address));
        out.write('}');
    }

    private void writeObject(Object members) {
        if (members == null) {
            out.writeBytes(NULL);
        } else {
            out.write('{');
            out.writeBytes((byte[]) members);
            out.write('}');
        }
    }

    /** docs/contract.md §3: what could not be resolved; a customer's address only when the customer was. */
    private void writeMissing(Row row) {
        boolean first = true;
        for (Party party : parties) {
            if (row.getField(party.customer) == null) {
                first = writeListed(party.missing, first);
            } else if (row.getField(party.address) == null) {
                first = writeListed(party.addressMissing, first);
            }
        }
        if (row.getField(item) == null) {
            first = writeListed(ITEM_MISSING, first);
        }
        if (row.getField(promoId) != null && row.getField(promo) == null) {
            writeListed(PROMO_MISSING, first);
        }
    }

    private boolean writeListed(byte[] name, boolean first) {
        if (!first) {
            out.write(',');
        }
        out.writeBytes(name);
        return false;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
