package streamingorders.flink;

import java.util.Objects;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.types.Row;

/** A row's key: the text of its field at `position` ("" for null). */
final class FieldKey implements KeySelector<Row, String> {
    private final int position;

    FieldKey(int position) {
        this.position = position;
    }

    @Override
    public String getKey(Row row) {
        return Objects.toString(row.getField(position), "");
    }
}
