package streamingorders.flink;

import java.io.IOException;
import java.io.Serializable;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonGenerator;
import org.apache.flink.types.Row;

/**
 * The fields of one part of the order document (the sale, a customer, an address, the item, the
 * promo) in contract order, each with its kind (flink_app/records.py): `int` is written as a
 * number, `decimal` (exact text in the row) as a number rounded half-up to its scale, or null when
 * it then has more than its precision's digits (as SQL's CAST to DECIMAL does; validation refuses
 * such a value in a stream, so only a reference row's can be null this way), and the rest as
 * strings.
 */
public final class DocumentFields implements Serializable {
    private final String[] names;
    private final String[] kinds;
    private final int[] precisions;
    private final int[] scales;

    public DocumentFields(String[] names, String[] kinds, int[] precisions, int[] scales) {
        if (names.length != kinds.length || names.length != precisions.length || names.length != scales.length) {
            throw new IllegalArgumentException("document field lists do not match");
        }
        this.names = names.clone();
        this.kinds = kinds.clone();
        this.precisions = precisions.clone();
        this.scales = scales.clone();
    }

    /** The positions of the fields in `rowType`. */
    int[] positionsIn(RowTypeInfo rowType) {
        return positions(rowType, names);
    }

    /** The positions of `fieldNames` in `rowType`; a clear error for a name it lacks. */
    static int[] positions(RowTypeInfo rowType, String... fieldNames) {
        int[] positions = new int[fieldNames.length];
        for (int i = 0; i < fieldNames.length; i++) {
            positions[i] = position(rowType, fieldNames[i]);
        }
        return positions;
    }

    static int position(RowTypeInfo rowType, String name) {
        int position = rowType.getFieldIndex(name);
        if (position < 0) {
            throw new IllegalArgumentException("no field " + name + " in " + rowType);
        }
        return position;
    }

    /** Writes the fields (found at `positions` of `row`) as the members of an object. */
    void write(JsonGenerator json, Row row, int[] positions) throws IOException {
        for (int i = 0; i < names.length; i++) {
            json.writeFieldName(names[i]);
            Object value = row.getField(positions[i]);
            if (value == null) {
                json.writeNull();
            } else if (kinds[i].equals("int")) {
                json.writeNumber((Long) value);
            } else if (kinds[i].equals("decimal")) {
                String number = Decimals.rounded((String) value, scales[i], precisions[i]);
                if (number == null) {
                    json.writeNull();
                } else {
                    json.writeNumber(number);  // as it is: the plain text of a number
                }
            } else {
                json.writeString((String) value);
            }
        }
    }
}
