package streamingorders.flink;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonGenerator;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;

/** A row as one line of JSON, written by a streaming generator (see {@link JsonLinesFormatFactory}). */
final class JsonLinesEncoder implements SerializationSchema<RowData> {
    /** Writes one non-null value of a type. */
    private interface ValueWriter extends Serializable {
        void write(JsonGenerator json, Object value) throws IOException;
    }

    private final RowType rowType;
    private transient ValueWriter writer;
    private transient ByteArrayOutputStream buffer;
    private transient JsonGenerator json;

    JsonLinesEncoder(RowType rowType) {
        this.rowType = rowType;
    }

    @Override
    public void open(InitializationContext context) throws IOException {
        writer = writerOf(rowType);
        buffer = new ByteArrayOutputStream(8192);
        json = new JsonFactory().setRootValueSeparator(null).createGenerator(buffer)
                .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
    }

    @Override
    public byte[] serialize(RowData row) {
        buffer.reset();
        try {
            writer.write(json, row);
            json.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buffer.toByteArray();
    }

    private static ValueWriter writerOf(LogicalType type) {
        switch (type.getTypeRoot()) {
            case CHAR:
            case VARCHAR:
                // From a String, as Flink's format does: characters beyond the BMP are escaped the same way.
                return (json, value) -> json.writeString(value.toString());
            case BOOLEAN:
                return (json, value) -> json.writeBoolean((Boolean) value);
            case TINYINT:
                return (json, value) -> json.writeNumber((Byte) value);
            case SMALLINT:
                return (json, value) -> json.writeNumber((Short) value);
            case INTEGER:
                return (json, value) -> json.writeNumber((Integer) value);
            case BIGINT:
                return (json, value) -> json.writeNumber((Long) value);
            case FLOAT:
                return (json, value) -> json.writeNumber((Float) value);
            case DOUBLE:
                return (json, value) -> json.writeNumber((Double) value);
            case DECIMAL:
                return (json, value) -> json.writeNumber(((DecimalData) value).toBigDecimal());
            case ARRAY:
                return arrayWriter(((ArrayType) type).getElementType());
            case ROW:
                return rowWriter((RowType) type);
            default:
                throw new UnsupportedOperationException("the json-lines format cannot write " + type);
        }
    }

    private static ValueWriter arrayWriter(LogicalType elementType) {
        ArrayData.ElementGetter element = ArrayData.createElementGetter(elementType);
        ValueWriter elementWriter = writerOf(elementType);
        return (json, value) -> {
            ArrayData array = (ArrayData) value;
            json.writeStartArray();
            for (int i = 0; i < array.size(); i++) {
                writeOrNull(json, elementWriter, element.getElementOrNull(array, i));
            }
            json.writeEndArray();
        };
    }

    private static ValueWriter rowWriter(RowType type) {
        List<RowType.RowField> fields = type.getFields();
        String[] names = new String[fields.size()];
        RowData.FieldGetter[] getters = new RowData.FieldGetter[fields.size()];
        ValueWriter[] writers = new ValueWriter[fields.size()];
        for (int i = 0; i < fields.size(); i++) {
            names[i] = fields.get(i).getName();
            getters[i] = RowData.createFieldGetter(fields.get(i).getType(), i);
            writers[i] = writerOf(fields.get(i).getType());
        }
        return (json, value) -> {
            RowData row = (RowData) value;
            json.writeStartObject();
            for (int i = 0; i < names.length; i++) {
                json.writeFieldName(names[i]);
                writeOrNull(json, writers[i], getters[i].getFieldOrNull(row));
            }
            json.writeEndObject();
        };
    }

    private static void writeOrNull(JsonGenerator json, ValueWriter writer, Object value) throws IOException {
        if (value == null) {
            json.writeNull();
        } else {
            writer.write(json, value);
        }
    }
}
