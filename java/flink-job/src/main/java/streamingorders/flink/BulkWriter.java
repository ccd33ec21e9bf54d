package streamingorders.flink;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.metrics.Counter;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.table.data.RowData;

/**
 * Batches documents into bulk requests of at most `maxDocuments` and `maxBytes`, sent when full,
 * every `flushIntervalMillis`, before each checkpoint barrier and at the end of input. Flushing before
 * the barrier is what makes it at-least-once: a checkpoint never covers a document still in a
 * buffer. Emits a dead-letter JSON line for each document OpenSearch refused.
 */
final class BulkWriter extends AbstractStreamOperator<String> implements OneInputStreamOperator<RowData, String> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BulkSettings settings;
    private final int idPosition;
    private final int documentPosition;
    private transient BulkClient client;
    private transient List<BulkClient.Document> buffer;
    private transient long bufferedBytes;
    private transient Counter documents;
    private transient Counter rejected;

    BulkWriter(BulkSettings settings, int idPosition, int documentPosition) {
        this.settings = settings;
        this.idPosition = idPosition;
        this.documentPosition = documentPosition;
    }

    @Override
    public void open() throws Exception {
        super.open();
        client = new BulkClient(settings);
        buffer = new ArrayList<>();
        var metrics = getMetricGroup().addGroup("opensearch");
        documents = metrics.counter("documents");
        rejected = metrics.counter("rejected");
        metrics.gauge("requests", () -> client.requests);
        metrics.gauge("retries", () -> client.retries);
        scheduleFlush();
    }

    @Override
    public void processElement(StreamRecord<RowData> element) throws Exception {
        RowData row = element.getValue();
        byte[] json = row.getBinary(documentPosition);
        buffer.add(new BulkClient.Document(row.getString(idPosition).toString(), json));
        bufferedBytes += json.length;
        if (buffer.size() >= settings.maxDocuments || bufferedBytes >= settings.maxBytes) {
            flush();
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush();
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    private void scheduleFlush() {
        var time = getProcessingTimeService();
        time.registerTimer(time.getCurrentProcessingTime() + settings.flushIntervalMillis, now -> {
            flush();
            scheduleFlush();
        });
    }

    private void flush() throws Exception {
        if (buffer.isEmpty()) {
            return;
        }
        List<BulkClient.Document> batch = buffer;
        buffer = new ArrayList<>();
        bufferedBytes = 0;
        for (BulkClient.Rejected refused : client.write(batch)) {
            ObjectNode letter = JSON.createObjectNode()
                    .put("stream", "orders")
                    .put("raw", new String(refused.document.json, java.nio.charset.StandardCharsets.UTF_8))
                    .put("reason", refused.reason);
            output.collect(new StreamRecord<>(JSON.writeValueAsString(letter)));
            rejected.inc();
        }
        documents.inc(batch.size());
    }
}
