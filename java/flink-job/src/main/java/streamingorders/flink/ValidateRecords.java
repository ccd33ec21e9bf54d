package streamingorders.flink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.regex.Pattern;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonProcessingException;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Validation of one stream's raw records (docs/contract.md §1, §4): a record's bytes, an I-JSON object
 * (RFC 7493: UTF-8, no member named twice, no lone surrogate), become a row of the stream's fields
 * in contract order followed by `event_ms`, its event time; or a dead letter, on the side output
 * {@link #DEAD_LETTERS}, with the raw payload, the stream and the reason. Nothing is dropped
 * silently and no record fails the job (Flink SQL's JSON functions fail the job on a wrong type or
 * drop the record, docs/design.md).
 *
 * <p>Values: strings and integers as they came; decimals as their exact decimal text (a JSON number
 * as written, 12.34), for the order document to round exactly (DocumentFields); timestamps and
 * dates as sent, once checked to name a real day. The field lists come from the job's copy of the
 * contract (flink_app/records.py). Every check costs at most a pass over the record: a number's
 * magnitude is looked at before its digits are (1e2000000 has two million of them).
 */
public final class ValidateRecords extends ProcessFunction<byte[], Row> {
    /** `raw` is the record as text (bytes that are not UTF-8 as U+FFFD), `raw_base64` its bytes when they are not UTF-8. */
    public static final OutputTag<Row> DEAD_LETTERS = new OutputTag<>("dead-letters",
            Types.ROW_NAMED(new String[] {Columns.STREAM, Columns.RAW, Columns.REASON, Columns.RAW_BASE64},
                    Types.STRING, Types.STRING, Types.STRING, Types.STRING));
    private static final Pattern DECIMAL = Pattern.compile("-?[0-9]+(\\.[0-9]+)?");
    private static final Pattern TIMESTAMP = Pattern.compile(
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})");
    private static final Pattern DATE = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}");
    private static final JsonFactory JSON = new JsonFactory();

    private final String stream;
    private final String[] names;
    private final String[] kinds;
    private final String[] required;
    private final int eventTime;
    private final int[] precisions;
    private final int[] scales;
    private final HashMap<String, Integer> positions = new HashMap<>();
    private transient Counter recordsIn;
    private transient Counter deadLetters;

    /**
     * `kinds[i]` is the kind of field `names[i]`: str, id (a string of at least one character),
     * int, decimal, timestamp or date; `required`
     * must be present and not null; `eventTimeField`, a timestamp, gives `event_ms`. A decimal
     * must fit DECIMAL(`precisions[i]`, `scales[i]`) once rounded to that scale, as the document
     * rounds it (a value that does not fit would become null there).
     */
    public ValidateRecords(String stream, String[] names, String[] kinds, String[] required, String eventTimeField,
                           int[] precisions, int[] scales) {
        this.stream = stream;
        this.names = names.clone();
        this.kinds = kinds.clone();
        this.required = required.clone();
        this.eventTime = Arrays.asList(names).indexOf(eventTimeField);
        this.precisions = precisions.clone();
        this.scales = scales.clone();
        if (names.length != kinds.length || names.length != precisions.length || names.length != scales.length
                || eventTime < 0 || names.length > Long.SIZE) {
            throw new IllegalArgumentException("field lists of " + stream + " do not match");
        }
        for (int i = 0; i < names.length; i++) {
            positions.put(names[i], i);
        }
    }

    /** The validated rows of `raw`, the stream's records as bytes (bus lines, Kinesis payloads). */
    public static SingleOutputStreamOperator<Row> of(DataStream<byte[]> raw, ValidateRecords validator) {
        return raw.process(validator, validator.rowType())
                .name("validate " + validator.stream).uid("validate-" + validator.stream);
    }

    /** The validated row's type: int fields as BIGINT, the others as text, then `event_ms`. */
    public RowTypeInfo rowType() {
        TypeInformation<?>[] types = new TypeInformation<?>[names.length + 1];
        String[] fieldNames = Arrays.copyOf(names, names.length + 1);
        for (int i = 0; i < names.length; i++) {
            types[i] = kinds[i].equals("int") ? Types.LONG : Types.STRING;
        }
        types[names.length] = Types.LONG;
        fieldNames[names.length] = Columns.EVENT_MS;
        return new RowTypeInfo(types, fieldNames);
    }

    @Override
    public void open(OpenContext context) {
        var metrics = JobMetrics.of(getRuntimeContext().getMetricGroup());
        recordsIn = metrics.counter("records_in");
        deadLetters = metrics.counter("dead_letters");
    }

    @Override
    public void processElement(byte[] record, Context context, Collector<Row> out) {
        recordsIn.inc();
        int scan = Utf8.scan(record);
        try {
            out.collect(parse(record, scan));
        } catch (InvalidRecord invalid) {
            deadLetters.inc();
            String base64 = scan < 0 ? null : Base64.getEncoder().encodeToString(record);
            context.output(DEAD_LETTERS, Row.of(stream, new String(record, StandardCharsets.UTF_8),
                    invalid.getMessage(), base64));
        }
    }

    /**
     * The record's event time (`event_ms`), for a source that assigns timestamps; Long.MIN_VALUE
     * for a record that is not valid, which then moves no watermark.
     */
    public long eventMillisOrMin(byte[] record) {
        try {
            return (Long) parse(record).getField(names.length);
        } catch (InvalidRecord invalid) {
            return Long.MIN_VALUE;
        }
    }

    /** The record as a row, or {@link InvalidRecord} saying why it is not one. */
    public Row parse(byte[] record) throws InvalidRecord {
        return parse(record, Utf8.scan(record));
    }

    /** `parse` with the record's {@link Utf8#scan} already made. */
    private Row parse(byte[] record, int scan) throws InvalidRecord {
        if (scan >= 0) {
            throw new InvalidRecord(String.format("not UTF-8: invalid byte 0x%02X at byte offset %d", record[scan] & 0xFF, scan));
        }
        Object[] values = read(record, scan == Utf8.VALID_WITH_ESCAPES);
        for (String name : required) {
            if (values[positions.get(name)] == null) {
                throw new InvalidRecord("missing required field '" + name + "'");
            }
        }
        Row row = new Row(names.length + 1);
        for (int i = 0; i < names.length; i++) {
            if (values[i] != null) {
                row.setField(i, value(i, values[i]));
            }
        }
        row.setField(names.length, eventMillis((String) row.getField(eventTime)));
        return row;
    }

    /**
     * The values of the contract's fields in `line`, by position: a String, a Long, a BigInteger (an
     * integer beyond 64 bits), a BigDecimal (any other number), a Boolean or {@link Nested}; null
     * when absent or null. Read by a streaming parser: no tree of nodes per record. `escapes`:
     * whether the record holds a backslash (without one no string can hold a lone surrogate).
     */
    private Object[] read(byte[] record, boolean escapes) throws InvalidRecord {
        Object[] values = new Object[names.length];
        long seen = 0;  // bit i: field names[i] was read
        HashSet<String> otherNames = null;  // members the contract does not name, made when there are any
        try (JsonParser parser = JSON.createParser(record)) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                throw new InvalidRecord("not valid JSON: no content");
            }
            if (token != JsonToken.START_OBJECT) {
                Object value = scalar(parser, token);
                endOfInput(parser);
                throw new InvalidRecord("not a JSON object but " + describe(value));
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                Integer position = positions.get(name);
                Object value = scalar(parser, parser.nextToken());
                if (position == null) {
                    otherNames = otherNames == null ? new HashSet<>() : otherNames;
                    if (!otherNames.add(name)) {
                        throw twice(name);
                    }
                    if (escapes) {
                        checkUnicode("member name", name);
                        checkUnicode("member '" + name + "'", value);
                    }
                } else {
                    if ((seen & (1L << position)) != 0) {
                        throw twice(name);
                    }
                    seen |= 1L << position;
                    if (escapes) {
                        checkUnicode("field '" + name + "'", value);
                    }
                    values[position] = value;
                }
            }
            endOfInput(parser);
        } catch (JsonProcessingException error) {
            throw new InvalidRecord("not valid JSON: " + error.getOriginalMessage());
        } catch (NumberFormatException error) {  // an exponent beyond an int: 1e9999999999
            throw new InvalidRecord("not valid JSON: a number out of any range");
        } catch (IOException error) {
            throw new UncheckedIOException(error);
        }
        return values;
    }

    /** The value at `token`, its children skipped when it is an object or an array. */
    private static Object scalar(JsonParser parser, JsonToken token) throws IOException {
        switch (token) {
            case VALUE_STRING:
                return parser.getText();
            case VALUE_NUMBER_INT:
                return parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? parser.getBigIntegerValue() : (Object) parser.getLongValue();
            case VALUE_NUMBER_FLOAT:
                return parser.getDecimalValue();
            case VALUE_TRUE:
            case VALUE_FALSE:
                return token == JsonToken.VALUE_TRUE;
            case VALUE_NULL:
                return null;
            case START_ARRAY:
            case START_OBJECT:
                parser.skipChildren();
                return token == JsonToken.START_ARRAY ? Nested.ARRAY : Nested.OBJECT;
            default:
                throw new IllegalStateException("unexpected JSON token " + token);
        }
    }

    private static InvalidRecord twice(String name) {
        return new InvalidRecord("member " + quoted(name) + " appears twice (a record names each member once)");
    }

    /** InvalidRecord when `value` is a string holding a lone surrogate (escaped as \\uD800: not text). */
    private static void checkUnicode(String what, Object value) throws InvalidRecord {
        if (value instanceof String) {
            String text = (String) value;
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (Character.isSurrogate(c)) {
                    if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                        i++;
                    } else {
                        throw new InvalidRecord(String.format("%s holds a lone surrogate \\u%04X, which is not text", what, (int) c));
                    }
                }
            }
        }
    }

    private static void endOfInput(JsonParser parser) throws IOException, InvalidRecord {
        if (parser.nextToken() != null) {
            throw new InvalidRecord("not valid JSON: more content after the value");
        }
    }

    private Object value(int field, Object value) throws InvalidRecord {
        String name = names[field];
        String kind = kinds[field];
        switch (kind) {
            case "str":
            case "id":
                if (value instanceof String && (kind.equals("str") || !((String) value).isEmpty())) {
                    return value;
                }
                break;
            case "int":
                if (value instanceof Long) {
                    return value;
                }
                break;
            case "decimal":
                if (value instanceof String && DECIMAL.matcher((String) value).matches()) {
                    return inRange(field, (String) value);
                }
                if (value instanceof Number) {
                    BigDecimal number = decimal((Number) value);
                    String plain = Decimals.plainText(number, scales[field], precisions[field]);
                    if (plain == null) {
                        throw outOfRange(field, number.toString());
                    }
                    return inRange(field, plain);
                }
                break;
            case "timestamp":
                if (value instanceof String && TIMESTAMP.matcher((String) value).matches()) {
                    return value;
                }
                break;
            case "date":
                if (value instanceof String && DATE.matcher((String) value).matches()) {
                    return realDate(field, (String) value);
                }
                break;
            default:
                throw new IllegalArgumentException("unknown field kind " + kind);
        }
        throw new InvalidRecord("field '" + name + "' must be " + expected(kind) + ", not " + describe(value));
    }

    private static BigDecimal decimal(Number number) {
        if (number instanceof Long) {
            return BigDecimal.valueOf((Long) number);
        }
        return number instanceof BigInteger ? new BigDecimal((BigInteger) number) : (BigDecimal) number;
    }

    private String inRange(int field, String text) throws InvalidRecord {
        if (Decimals.rounded(text, scales[field], precisions[field]) == null) {
            throw outOfRange(field, text);
        }
        return text;
    }

    private InvalidRecord outOfRange(int field, String text) {
        return new InvalidRecord("field '" + names[field] + "' is out of range: at most "
                + (precisions[field] - scales[field]) + " digits before the decimal point, not " + quoted(text));
    }

    private String realDate(int field, String date) throws InvalidRecord {
        try {
            Timestamps.checkDate(date);
            return date;
        } catch (DateTimeException error) {
            throw new InvalidRecord("field '" + names[field] + "' is not a valid date: " + quoted(date));
        }
    }

    private long eventMillis(String moment) throws InvalidRecord {
        try {
            return Timestamps.epochMillis(moment);
        } catch (DateTimeException error) {
            throw new InvalidRecord("field '" + names[eventTime] + "' is not a valid timestamp: " + quoted(moment));
        }
    }

    private static String expected(String kind) {
        switch (kind) {
            case "str": return "a string";
            case "id": return "a non-empty string";
            case "int": return "a 64-bit integer";
            case "date": return "a date YYYY-MM-DD";
            case "decimal": return "a decimal (a number or a string such as \"12.34\")";
            default: return "an ISO-8601 timestamp with an offset";
        }
    }

    private static String describe(Object value) {
        if (value instanceof String) {
            return "a string (" + quoted((String) value) + ")";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        if (value instanceof Long) {
            return "an integer";
        }
        if (value instanceof BigInteger) {
            return "an integer out of range";
        }
        if (value instanceof BigDecimal) {
            return "a number";
        }
        return value == null ? "null" : value == Nested.ARRAY ? "an array" : "an object";
    }

    private static String quoted(String text) {
        String quoted = "'" + text + "'";
        return quoted.length() <= 60 ? quoted : quoted.substring(0, 57) + "...";
    }

    /** A value that is an object or an array (never valid for a field of the contract). */
    private enum Nested { ARRAY, OBJECT }

    /** Why a record is a dead letter; no stack trace, as it is expected and counted. */
    public static final class InvalidRecord extends Exception {
        InvalidRecord(String reason) {
            super(reason, null, false, false);
        }
    }
}
