package streamingorders.flink;

/**
 * The names of the columns the operators add to the rows they pass on, and of a dead letter's
 * members: defined here once, and read from here by the Python side (flink_app/java_helper.py).
 */
public final class Columns {
    /** A record's event time, epoch milliseconds (ValidateRecords adds it). */
    public static final String EVENT_MS = "event_ms";
    /** A record's part of the order document (EncodeDocument). */
    public static final String DOCUMENT = "document";
    /** The parts of the order document of a sale line's item and promo (WithReferenceData). */
    public static final String ITEM_DOCUMENT = "item_document";
    public static final String PROMO_DOCUMENT = "promo_document";
    /** An order document's key (its OpenSearch `_id`) and its sale's UTC date (OrderDocuments). */
    public static final String LINE_ID = "line_id";
    public static final String DT = "dt";
    /** A dead letter's members, in order (ValidateRecords, BulkWriter; docs/contract.md §5, the `dlq/` files). */
    public static final String STREAM = "stream";
    public static final String RAW = "raw";
    public static final String REASON = "reason";
    public static final String RAW_BASE64 = "raw_base64";

    private Columns() {}

    /** The column of a party's customer document in a joined sale line (CustomerAsOf). */
    public static String customerDocument(String party) {
        return party + "_document";
    }

    /** The column of a party's address document in a joined sale line (CustomerAsOf). */
    public static String addressDocument(String party) {
        return party + "_address_document";
    }
}
