package streamingorders.flink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.AbstractStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.StreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.table.data.RowData;

/**
 * Batches documents into bulk requests of at most `maxDocuments` and `maxBytes`, sent when full,
 * every `flushIntervalMillis`, before each checkpoint barrier and at the end of input.
 *
 * <p>Requests are sent without blocking the task thread: at most `maxInFlight` are unanswered at a
 * time (beyond that the task waits, which backpressures the job), and each answer is handled back on
 * the task thread through its mailbox, as Flink's own async sinks do. Retries wait off the task
 * thread too. Before a checkpoint barrier the writer waits until every request is answered: a
 * checkpoint never covers a document that has not reached OpenSearch, so the sink is at-least-once
 * (and, with `_id` set, idempotent). Emits a dead-letter JSON line for each document refused.
 */
final class BulkWriter extends AbstractStreamOperator<String> implements OneInputStreamOperator<RowData, String> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BulkSettings settings;
    private final int idPosition;
    private final int documentPosition;
    private final MailboxExecutor mailbox;
    private transient BulkClient client;
    private transient List<BulkClient.Document> buffer;
    private transient long bufferedBytes;
    private transient int inFlight;
    private transient long requests;
    private transient long retries;
    private transient Counter documents;
    private transient Counter rejected;

    private BulkWriter(StreamOperatorParameters<String> parameters, BulkSettings settings, int idPosition,
                       int documentPosition) {
        super(parameters);
        this.settings = settings;
        this.idPosition = idPosition;
        this.documentPosition = documentPosition;
        this.mailbox = parameters.getMailboxExecutor();
    }

    /** Builds the writer with its task's mailbox. */
    static final class Factory extends AbstractStreamOperatorFactory<String>
            implements OneInputStreamOperatorFactory<RowData, String> {
        private final BulkSettings settings;
        private final int idPosition;
        private final int documentPosition;

        Factory(BulkSettings settings, int idPosition, int documentPosition) {
            this.settings = settings;
            this.idPosition = idPosition;
            this.documentPosition = documentPosition;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T extends StreamOperator<String>> T createStreamOperator(StreamOperatorParameters<String> parameters) {
            return (T) new BulkWriter(parameters, settings, idPosition, documentPosition);
        }

        @Override
        public Class<? extends StreamOperator> getStreamOperatorClass(ClassLoader classLoader) {
            return BulkWriter.class;
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        client = new BulkClient(settings);
        buffer = new ArrayList<>();
        var metrics = JobMetrics.of(getMetricGroup()).addGroup("opensearch");
        documents = metrics.counter("documents");
        rejected = metrics.counter("rejected");
        metrics.gauge("requests", () -> requests);
        metrics.gauge("retries", () -> retries);
        metrics.gauge("inFlightRequests", () -> inFlight);
        scheduleFlush();
    }

    @Override
    public void processElement(StreamRecord<RowData> element) throws Exception {
        RowData row = element.getValue();
        byte[] json = row.getBinary(documentPosition);
        buffer.add(new BulkClient.Document(row.getString(idPosition).toString(), json));
        bufferedBytes += json.length;
        if (buffer.size() >= settings.maxDocuments || bufferedBytes >= settings.maxBytes) {
            sendBuffer();
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        sendBuffer();
        awaitEveryAnswer();
    }

    @Override
    public void finish() throws Exception {
        sendBuffer();
        awaitEveryAnswer();
        super.finish();
    }

    private void scheduleFlush() {
        var time = getProcessingTimeService();
        time.registerTimer(time.getCurrentProcessingTime() + settings.flushIntervalMillis, now -> {
            sendBuffer();
            scheduleFlush();
        });
    }

    private void sendBuffer() throws InterruptedException {
        if (buffer.isEmpty()) {
            return;
        }
        List<BulkClient.Document> batch = buffer;
        buffer = new ArrayList<>();
        bufferedBytes = 0;
        while (inFlight >= settings.maxInFlight) {
            mailbox.yield();  // handles answers meanwhile
        }
        inFlight++;
        send(batch, 1);
    }

    private void awaitEveryAnswer() throws InterruptedException {
        while (inFlight > 0) {
            mailbox.yield();
        }
    }

    private void send(List<BulkClient.Document> batch, int attempt) {
        requests++;
        client.send(batch).whenComplete((answer, failure) -> mailbox.execute(
                () -> onAnswer(batch, attempt, answer, failure), "OpenSearch bulk answer"));
    }

    /** On the task thread: dead letters for the refused, the rest sent again later, or done. */
    private void onAnswer(List<BulkClient.Document> batch, int attempt, BulkClient.Answer answer, Throwable failure)
            throws IOException {
        if (failure != null) {
            Throwable cause = failure.getCause() == null ? failure : failure.getCause();
            throw cause instanceof IOException ? (IOException) cause : new IOException(cause);
        }
        for (BulkClient.Rejected refused : answer.rejected) {
            ObjectNode letter = JSON.createObjectNode()
                    .put(Columns.STREAM, "orders")
                    .put(Columns.RAW, new String(refused.document.json, StandardCharsets.UTF_8))
                    .put(Columns.REASON, refused.reason);
            output.collect(new StreamRecord<>(JSON.writeValueAsString(letter)));
            rejected.inc();
        }
        documents.inc(batch.size() - answer.retry.size());
        if (answer.retry.isEmpty()) {
            inFlight--;
            return;
        }
        if (attempt >= settings.maxAttempts) {  // the job restarts from its last checkpoint and sends again
            throw new IOException("OpenSearch did not take " + answer.retry.size() + " document(s) after "
                    + settings.maxAttempts + " attempts: " + answer.retryReason);
        }
        retries++;
        CompletableFuture.runAsync(
                () -> mailbox.execute(() -> send(answer.retry, attempt + 1), "OpenSearch bulk retry"),
                CompletableFuture.delayedExecutor(backoffMillis(attempt + 1), TimeUnit.MILLISECONDS));
    }

    /** Full jitter under a ceiling that doubles per attempt, at most 30 s. */
    private long backoffMillis(int attempt) {
        long ceiling = Math.min(30_000L, settings.backoffMillis << Math.min(attempt - 2, 16));
        return ThreadLocalRandom.current().nextLong(ceiling + 1);
    }
}
