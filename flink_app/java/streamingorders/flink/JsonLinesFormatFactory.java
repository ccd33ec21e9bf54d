package streamingorders.flink;

import java.util.Set;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.format.EncodingFormat;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.DynamicTableFactory;
import org.apache.flink.table.factories.SerializationFormatFactory;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.RowType;

/**
 * The format `json-lines`: each row as one JSON object, the same bytes as Flink's `json` format
 * with `json.encode.decimal-as-plain-number` (fields in schema order, nulls written, decimals with
 * their scale), written straight to the output by Jackson's streaming generator. Flink's format
 * builds a tree of nodes per row first, which was the largest single cost of writing the order
 * documents (about 100 fields each). Encoding only.
 */
public final class JsonLinesFormatFactory implements SerializationFormatFactory {
    @Override
    public String factoryIdentifier() {
        return "json-lines";
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of();
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return Set.of();
    }

    @Override
    public EncodingFormat<SerializationSchema<RowData>> createEncodingFormat(DynamicTableFactory.Context context,
                                                                           ReadableConfig options) {
        return new EncodingFormat<>() {
            @Override
            public SerializationSchema<RowData> createRuntimeEncoder(DynamicTableSink.Context sinkContext, DataType type) {
                return new JsonLinesEncoder((RowType) type.getLogicalType());
            }

            @Override
            public ChangelogMode getChangelogMode() {
                return ChangelogMode.insertOnly();
            }
        };
    }
}
