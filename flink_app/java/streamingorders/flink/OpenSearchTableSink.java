package streamingorders.flink;

import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.BasePathBucketAssigner;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.format.EncodingFormat;
import org.apache.flink.table.connector.sink.DataStreamSinkProvider;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.DataType;

/**
 * Rows -> `BulkWriter` (bulk requests, flushed before each checkpoint barrier: at-least-once) ->
 * the documents OpenSearch rejected, as dead-letter JSON lines, -> files committed on checkpoints.
 */
final class OpenSearchTableSink implements DynamicTableSink {
    private final EncodingFormat<SerializationSchema<RowData>> format;
    private final DataType rowType;
    private final int idPosition;
    private final BulkSettings settings;
    private final String deadLetterPath;

    OpenSearchTableSink(EncodingFormat<SerializationSchema<RowData>> format, DataType rowType, int idPosition,
                        BulkSettings settings, String deadLetterPath) {
        this.format = format;
        this.rowType = rowType;
        this.idPosition = idPosition;
        this.settings = settings;
        this.deadLetterPath = deadLetterPath;
    }

    @Override
    public ChangelogMode getChangelogMode(ChangelogMode requested) {
        return ChangelogMode.insertOnly();
    }

    @Override
    public SinkRuntimeProvider getSinkRuntimeProvider(Context context) {
        SerializationSchema<RowData> encoder = format.createRuntimeEncoder(context, rowType);
        return (DataStreamSinkProvider) (providerContext, rows) -> rows
                .transform("opensearch bulk writes", Types.STRING, new BulkWriter(settings, encoder, idPosition))
                .uid("opensearch-bulk-writes")
                .sinkTo(FileSink.forRowFormat(new Path(deadLetterPath), new SimpleStringEncoder<String>())
                        .withBucketAssigner(new BasePathBucketAssigner<>())
                        .build())
                .name("opensearch dead letters")
                .uid("opensearch-dead-letters");
    }

    @Override
    public DynamicTableSink copy() {
        return new OpenSearchTableSink(format, rowType, idPosition, settings, deadLetterPath);
    }

    @Override
    public String asSummaryString() {
        return "OpenSearch " + settings.index;
    }
}
