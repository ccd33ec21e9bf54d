package streamingorders.flink;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.regex.Pattern;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonProcessingException;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.DeserializationFeature;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Validation of one stream's raw records (CONTRACT.md §1, §4): a JSON line becomes a row of the
 * stream's fields in contract order followed by `event_ms`, its event time; or a dead letter, on
 * the side output {@link #DEAD_LETTERS}, with the raw payload, the stream and the reason. Nothing
 * is dropped silently and no record fails the job (Flink SQL's JSON functions fail the job on a
 * wrong type or drop the record, DESIGN.md).
 *
 * <p>Values: strings and integers as they came; decimals as their exact decimal text (a JSON number
 * as written, 12.34), for SQL to cast exactly; timestamps and dates as sent. The field lists come
 * from the job's copy of the contract (flink_app/records.py).
 */
public final class ValidateRecords extends ProcessFunction<String, Row> {
    public static final OutputTag<Row> DEAD_LETTERS = new OutputTag<>("dead-letters",
            Types.ROW_NAMED(new String[] {"stream", "raw", "reason"}, Types.STRING, Types.STRING, Types.STRING));
    private static final String TIME_FIELD = "event_ms";
    private static final Pattern DECIMAL = Pattern.compile("-?[0-9]+(\\.[0-9]+)?");
    private static final Pattern TIMESTAMP = Pattern.compile(
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})");
    private static final Pattern DATE = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final String stream;
    private final String[] names;
    private final String[] kinds;
    private final String[] required;
    private final int eventTime;
    private final int[] precisions;
    private final int[] scales;
    private transient Counter recordsIn;
    private transient Counter deadLetters;

    /**
     * `kinds[i]` is the kind of field `names[i]`: str, int, decimal, timestamp or date; `required`
     * must be present and not null; `eventTimeField`, a timestamp, gives `event_ms`. A decimal
     * must fit DECIMAL(`precisions[i]`, `scales[i]`) once rounded to that scale, as SQL will cast
     * it (a value that does not fit would become null).
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
                || eventTime < 0) {
            throw new IllegalArgumentException("field lists of " + stream + " do not match");
        }
    }

    /** The validated rows of `raw` (lines, or Kinesis rows whose one field is the payload). */
    @SuppressWarnings("unchecked")
    public static SingleOutputStreamOperator<Row> of(DataStream<?> raw, ValidateRecords validator) {
        DataStream<String> lines = Row.class.equals(raw.getType().getTypeClass())
                ? ((DataStream<Row>) raw).map(row -> (String) row.getField(0)).returns(Types.STRING).name("payload")
                : (DataStream<String>) raw;
        return lines.process(validator, validator.rowType())
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
        fieldNames[names.length] = TIME_FIELD;
        return new RowTypeInfo(types, fieldNames);
    }

    @Override
    public void open(OpenContext context) {
        recordsIn = getRuntimeContext().getMetricGroup().counter("records_in");
        deadLetters = getRuntimeContext().getMetricGroup().counter("dead_letters");
    }

    @Override
    public void processElement(String line, Context context, Collector<Row> out) {
        recordsIn.inc();
        try {
            out.collect(parse(line));
        } catch (InvalidRecord invalid) {
            deadLetters.inc();
            context.output(DEAD_LETTERS, Row.of(stream, line, invalid.getMessage()));
        }
    }

    /** The record as a row, or {@link InvalidRecord} saying why it is not one. */
    public Row parse(String line) throws InvalidRecord {
        JsonNode document;
        try {
            document = JSON.readTree(line);
        } catch (JsonProcessingException error) {
            throw new InvalidRecord("not valid JSON: " + error.getOriginalMessage());
        }
        if (document == null || document.isMissingNode()) {
            throw new InvalidRecord("not valid JSON: no content");
        }
        if (!document.isObject()) {
            throw new InvalidRecord("not a JSON object but " + describe(document));
        }
        for (String name : required) {
            JsonNode value = document.get(name);
            if (value == null || value.isNull()) {
                throw new InvalidRecord("missing required field '" + name + "'");
            }
        }
        Row row = new Row(names.length + 1);
        for (int i = 0; i < names.length; i++) {
            JsonNode value = document.get(names[i]);
            if (value != null && !value.isNull()) {
                row.setField(i, value(i, value));
            }
        }
        row.setField(names.length, eventMillis((String) row.getField(eventTime)));
        return row;
    }

    private Object value(int field, JsonNode value) throws InvalidRecord {
        String name = names[field];
        String kind = kinds[field];
        switch (kind) {
            case "str":
                if (value.isTextual()) {
                    return value.textValue();
                }
                break;
            case "int":
                if (value.isIntegralNumber() && value.canConvertToLong()) {
                    return value.longValue();
                }
                break;
            case "decimal":
                if (value.isTextual() && DECIMAL.matcher(value.textValue()).matches()) {
                    return inRange(field, new BigDecimal(value.textValue()), value.textValue());
                }
                if (value.isNumber()) {
                    BigDecimal number = value.decimalValue();
                    return inRange(field, number, number.toPlainString());
                }
                break;
            case "timestamp":
                if (value.isTextual() && TIMESTAMP.matcher(value.textValue()).matches()) {
                    return value.textValue();
                }
                break;
            case "date":
                if (value.isTextual() && DATE.matcher(value.textValue()).matches()) {
                    return value.textValue();
                }
                break;
            default:
                throw new IllegalArgumentException("unknown field kind " + kind);
        }
        throw new InvalidRecord("field '" + name + "' must be " + expected(kind) + ", not " + describe(value));
    }

    private String inRange(int field, BigDecimal value, String text) throws InvalidRecord {
        if (value.setScale(scales[field], RoundingMode.HALF_UP).precision() > precisions[field]) {
            throw new InvalidRecord("field '" + names[field] + "' is out of range: at most "
                    + (precisions[field] - scales[field]) + " digits before the decimal point, not " + quoted(text));
        }
        return text;
    }

    private long eventMillis(String moment) throws InvalidRecord {
        try {
            return OffsetDateTime.parse(moment).toInstant().toEpochMilli();
        } catch (DateTimeParseException error) {
            throw new InvalidRecord("field '" + names[eventTime] + "' is not a valid timestamp: " + quoted(moment));
        }
    }

    private static String expected(String kind) {
        switch (kind) {
            case "str": return "a string";
            case "int": return "a 64-bit integer";
            case "date": return "a date YYYY-MM-DD";
            case "decimal": return "a decimal (a number or a string such as \"12.34\")";
            default: return "an ISO-8601 timestamp with an offset";
        }
    }

    private static String describe(JsonNode value) {
        if (value.isTextual()) {
            return "a string (" + quoted(value.textValue()) + ")";
        }
        if (value.isBoolean()) {
            return "a boolean";
        }
        if (value.isIntegralNumber()) {
            return value.canConvertToLong() ? "an integer" : "an integer out of range";
        }
        if (value.isNumber()) {
            return "a number";
        }
        return value.isArray() ? "an array" : "an object";
    }

    private static String quoted(String text) {
        String quoted = "'" + text + "'";
        return quoted.length() <= 60 ? quoted : quoted.substring(0, 57) + "...";
    }

    /** Why a record is a dead letter; no stack trace, as it is expected and counted. */
    public static final class InvalidRecord extends Exception {
        InvalidRecord(String reason) {
            super(reason, null, false, false);
        }
    }
}
