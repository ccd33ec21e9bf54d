package streamingorders.flink;

import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.BasePathBucketAssigner;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.sink.DataStreamSinkProvider;
import org.apache.flink.table.connector.sink.DynamicTableSink;

/**
 * Rows -> `BulkWriter` (non-blocking bulk requests, all answered before each checkpoint barrier:
 * at-least-once) ->
 * the documents OpenSearch rejected, as dead-letter JSON lines, -> files committed on checkpoints.
 */
final class OpenSearchTableSink implements DynamicTableSink {
    private final int idPosition;
    private final int documentPosition;
    private final BulkSettings settings;
    private final String deadLetterPath;

    OpenSearchTableSink(int idPosition, int documentPosition, BulkSettings settings, String deadLetterPath) {
        this.idPosition = idPosition;
        this.documentPosition = documentPosition;
        this.settings = settings;
        this.deadLetterPath = deadLetterPath;
    }

    @Override
    public ChangelogMode getChangelogMode(ChangelogMode requested) {
        return ChangelogMode.insertOnly();
    }

    @Override
    public SinkRuntimeProvider getSinkRuntimeProvider(Context context) {
        return (DataStreamSinkProvider) (providerContext, rows) -> rows
                .transform("opensearch bulk writes", Types.STRING, new BulkWriter.Factory(settings, idPosition, documentPosition))
                .uid("opensearch-bulk-writes")
                .sinkTo(FileSink.forRowFormat(new Path(deadLetterPath), new SimpleStringEncoder<String>())
                        .withBucketAssigner(new BasePathBucketAssigner<>())
                        .build())
                .name("opensearch dead letters")
                .uid("opensearch-dead-letters");
    }

    @Override
    public DynamicTableSink copy() {
        return new OpenSearchTableSink(idPosition, documentPosition, settings, deadLetterPath);
    }

    @Override
    public String asSummaryString() {
        return "OpenSearch " + settings.index;
    }
}
