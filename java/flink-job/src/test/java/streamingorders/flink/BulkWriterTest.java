package streamingorders.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bulk writer's batching and retries against a scripted `_bulk` endpoint on 127.0.0.1 (a real
 * HTTP server whose answers each test sets: a real node gives an item-level 429 only under load,
 * tests/test_flink_opensearch.py has that case): a batch goes out when full and before a checkpoint
 * barrier, which waits for every answer; an item answered 429 is sent again alone; an item refused
 * becomes a dead letter with the node's reason.
 */
class BulkWriterTest {
    /** The answer to a request of the first batch (1-1, 1-2, 1-3); every other document is created. */
    private static final String FIRST_BATCH_ANSWER = "{\"errors\": true, \"items\": [{\"index\": {\"status\": 201}},"
            + " {\"index\": {\"status\": 429}}, {\"index\": {\"status\": 400, \"error\": {\"type\":"
            + " \"mapper_parsing_exception\", \"reason\": \"bad promo\"}}}]}";
    private final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    private HttpServer server;

    @BeforeEach
    void serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/orders-write/_bulk", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(body);
            byte[] answer = (body.contains("\"1-1\"") ? FIRST_BATCH_ANSWER : "{\"errors\": false, \"items\": []}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private OneInputStreamOperatorTestHarness<RowData, String> harness(int maxDocuments) throws Exception {
        BulkSettings settings = new BulkSettings("http://127.0.0.1:" + server.getAddress().getPort(), "orders-write",
                null, null, null, null, null, maxDocuments, 1 << 20, 3_600_000, 3, 1, 2);
        return new OneInputStreamOperatorTestHarness<>(new BulkWriter.Factory(settings, 0, 1));
    }

    private static StreamRecord<RowData> document(String id) {
        return new StreamRecord<>(GenericRowData.of(StringData.fromString(id),
                ("{\"line_id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8)));
    }

    /** The `_id`s of each request, in the order they came. */
    private List<List<String>> idsOfEachRequest() {
        List<List<String>> ids = new ArrayList<>();
        for (String body : requests) {
            List<String> batch = new ArrayList<>();
            for (String line : body.split("\n")) {
                if (line.startsWith("{\"index\"")) {
                    batch.add(line.replaceAll(".*\"_id\":\"([^\"]*)\".*", "$1"));
                }
            }
            ids.add(batch);
        }
        return ids;
    }

    @Test
    void aFullBatchGoesOutAndTheBarrierWaitsForTheRetriesAndTheRefused() throws Exception {
        try (var harness = harness(3)) {
            harness.open();
            harness.processElement(document("1-1"));
            harness.processElement(document("1-2"));
            assertEquals(List.of(), idsOfEachRequest());  // not full yet, and no flush interval passed
            harness.processElement(document("1-3"));  // full: sent
            harness.processElement(document("2-1"));
            harness.prepareSnapshotPreBarrier(1);  // sends 2-1 and waits for every answer, the retry's too

            List<List<String>> sent = idsOfEachRequest();  // two may be in flight: 2-1 may overtake the first batch
            assertEquals(3, sent.size(), sent.toString());
            assertTrue(sent.containsAll(List.of(List.of("1-1", "1-2", "1-3"), List.of("2-1"), List.of("1-2"))), sent.toString());
            assertTrue(sent.indexOf(List.of("1-2")) > sent.indexOf(List.of("1-1", "1-2", "1-3")));  // the retry, alone
            List<String> deadLetters = harness.extractOutputValues();
            assertEquals(List.of("{\"stream\":\"orders\",\"raw\":\"{\\\"line_id\\\":\\\"1-3\\\"}\","
                    + "\"reason\":\"OpenSearch refused the document: mapper_parsing_exception: bad promo\"}"), deadLetters);
        }
    }

    @Test
    void theEndOfInputSendsWhatIsLeft() throws Exception {
        try (var harness = harness(100)) {
            harness.open();
            harness.processElement(document("3-1"));
            harness.getOneInputOperator().finish();  // what the task calls at the end of input
            assertEquals(List.of(List.of("3-1")), idsOfEachRequest());
        }
    }
}
