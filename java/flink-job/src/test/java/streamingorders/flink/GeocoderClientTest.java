package streamingorders.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ArrayNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The JVM geocoding client over real HTTP, against a server on 127.0.0.1 that plays a geocoder
 * failing in the ways the real handler cannot be made to (throttling, 5xx, refusals, broken
 * answers, silence); tests/test_flink_geocoding.py runs it in the job against the real handler.
 */
class GeocoderClientTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How the server answers a request: its status, body and headers. */
    private interface Script {
        Answer answer(JsonNode request, int number) throws Exception;
    }

    private static final class Answer {
        final int status;
        final String body;
        final String retryAfter;

        Answer(int status, String body, String retryAfter) {
            this.status = status;
            this.body = body;
            this.retryAfter = retryAfter;
        }
    }

    private final List<JsonNode> requests = Collections.synchronizedList(new ArrayList<>());
    private final List<Headers> headers = Collections.synchronizedList(new ArrayList<>());
    private final List<Long> arrivals = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger concurrent = new AtomicInteger();
    private final AtomicInteger mostConcurrent = new AtomicInteger();
    private HttpServer server;
    private ExecutorService serverThreads;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
            serverThreads.shutdownNow();
        }
    }

    private String serve(Script script) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        serverThreads = Executors.newCachedThreadPool();
        server.setExecutor(serverThreads);
        server.createContext("/geocode", exchange -> {
            mostConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            try {
                arrivals.add(System.nanoTime());
                JsonNode request = JSON.readTree(exchange.getRequestBody().readAllBytes());
                requests.add(request);
                headers.add(exchange.getRequestHeaders());
                Answer answer = script.answer(request, requests.size());
                byte[] body = answer.body.getBytes(StandardCharsets.UTF_8);
                if (answer.retryAfter != null) {
                    exchange.getResponseHeaders().add("Retry-After", answer.retryAfter);
                }
                exchange.sendResponseHeaders(answer.status, body.length);
                exchange.getResponseBody().write(body);
            } catch (Exception e) {
                exchange.sendResponseHeaders(599, -1);
            } finally {
                concurrent.decrementAndGet();
                exchange.close();
            }
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Every address found, its latitude the address's number (its zip). */
    private static Answer okForAll(JsonNode request, int number) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode results = body.putArray("results");
        for (JsonNode address : request.get("addresses")) {
            ObjectNode result = results.addObject().put("id", address.get("id").asText()).put("status", "ok")
                    .put("precision", "postcode").put("provider", "stub");
            result.putObject("location").put("lat", (double) Integer.parseInt(address.get("zip").asText())).put("lon", 1.5);
        }
        return new Answer(200, body.toString(), null);
    }

    private static GeocoderClient client(String url, String overrides) {
        return new GeocoderClient(GeocoderSettings.fromJson("{\"url\": \"" + url + "\", \"batch_size\": 100,"
                + " \"timeout_seconds\": 1, \"max_attempts\": 4, \"backoff_seconds\": 0.01, \"max_backoff_seconds\": 5,"
                + " \"requests_per_second\": 0, \"connections\": 4, \"cache_size\": 1000, \"sigv4_region\": null"
                + overrides + "}"));
    }

    private static List<String> place(int n) {
        return Arrays.asList(n + " Main St", "Nowhere", null, "ZZ", String.format("%05d", n), "United States");
    }

    /** The addresses a0..a(count-1), each at its own place. */
    private static List<GeocoderClient.Geocode> geocode(GeocoderClient client, int count) throws Exception {
        List<String> ids = new ArrayList<>();
        List<List<String>> places = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            ids.add("a" + n);
            places.add(place(n));
        }
        return client.geocodeAll(ids, places).get(30, TimeUnit.SECONDS);
    }

    @Test
    void answersComeBackInOrderInRequestsOfUpToTheBatchSize() throws Exception {
        GeocoderClient client = client(serve(GeocoderClientTest::okForAll), ", \"batch_size\": 10");
        List<GeocoderClient.Geocode> answers = geocode(client, 25);
        for (int n = 0; n < 25; n++) {
            assertEquals(n, answers.get(n).lat);
            assertEquals("ok", answers.get(n).status);
            assertEquals("postcode", answers.get(n).precision);
        }
        assertEquals(List.of(10, 10, 5), requests.stream().map(r -> r.get("addresses").size()).sorted(Collections.reverseOrder()).collect(java.util.stream.Collectors.toList()));
        assertTrue(requests.get(0).get("addresses").get(0).get("county").isNull());
    }

    @Test
    void aPlaceAlreadyKnownIsNotAskedAgain() throws Exception {
        GeocoderClient client = client(serve(GeocoderClientTest::okForAll), "");
        geocode(client, 3);
        List<GeocoderClient.Geocode> again = client.geocodeAll(List.of("a0", "b1", "a2", "a2"),
                List.of(place(0), place(1), place(7), place(7))).get(30, TimeUnit.SECONDS);
        assertEquals(Arrays.asList(0.0, 1.0, 7.0, 7.0), Arrays.asList(again.get(0).lat, again.get(1).lat, again.get(2).lat, again.get(3).lat));
        assertEquals(2, requests.size());
        assertEquals(1, requests.get(1).get("addresses").size());  // only the moved a2's new place
        assertEquals(2, client.stats.reused.get());  // a0 unmoved, then a2 at its new place again
        assertEquals(1, client.stats.cacheHits.get());  // b1 at a1's place
    }

    @Test
    void throttlingAndServerErrorsAreRetriedUntilAnswered() throws Exception {
        GeocoderClient client = client(serve((request, number) -> number == 1 ? new Answer(429, "{}", "0.3")
                : number == 2 ? new Answer(503, "{}", null) : okForAll(request, number)), "");
        long started = System.nanoTime();
        List<GeocoderClient.Geocode> answers = geocode(client, 2);
        assertEquals("ok", answers.get(1).status);
        assertEquals(3, requests.size());
        assertEquals(2, client.stats.retries.get());
        assertTrue(arrivals.get(1) - arrivals.get(0) >= 300_000_000L, "Retry-After is waited for");
        assertTrue(System.nanoTime() - started < 5_000_000_000L);
    }

    @Test
    void afterTheLastAttemptTheAddressIsFailedAndItsPlaceAskedAgainLater() throws Exception {
        AtomicInteger healthyFrom = new AtomicInteger(Integer.MAX_VALUE);
        GeocoderClient client = client(serve((request, number) -> number >= healthyFrom.get()
                ? okForAll(request, number) : new Answer(500, "{}", null)), ", \"max_attempts\": 3");
        assertSame(GeocoderClient.FAILED, geocode(client, 1).get(0));
        assertEquals(3, requests.size());
        assertEquals(1, client.stats.failures.get());
        healthyFrom.set(4);
        assertEquals("ok", geocode(client, 1).get(0).status);  // the same version again: not reused failed
    }

    @Test
    void anAnswerThatBreaksTheContractIsRetriedThenFailed() throws Exception {
        for (String broken : List.of("{\"results\": []}", "not json",
                "{\"results\": [{\"id\": \"0\", \"status\": \"ok\", \"location\": null}]}",
                "{\"results\": [{\"id\": \"9\", \"status\": \"not_found\"}]}",
                "{\"results\": [{\"id\": \"0\", \"status\": \"maybe\"}]}",
                "{\"results\": [{\"id\": \"0\", \"status\": \"not_found\", \"precision\": \"planet\"}]}")) {
            requests.clear();
            stop();
            GeocoderClient client = client(serve((request, number) -> new Answer(200, broken, null)), ", \"max_attempts\": 2");
            assertSame(GeocoderClient.FAILED, geocode(client, 1).get(0), broken);
            assertEquals(2, requests.size(), broken);
        }
    }

    @Test
    void aRefusedBatchIsHalvedUntilOnlyTheRefusedAddressFails() throws Exception {
        GeocoderClient client = client(serve((request, number) -> request.toString().contains("\"00013\"")
                ? new Answer(400, "{\"message\": \"zip: bad\"}", null) : okForAll(request, number)), "");
        List<GeocoderClient.Geocode> answers = geocode(client, 16);
        for (int n = 0; n < 16; n++) {
            if (n == 13) {
                assertSame(GeocoderClient.FAILED, answers.get(n));
            } else {
                assertEquals(n, answers.get(n).lat);
            }
        }
        assertEquals(1, client.stats.failures.get());
        assertEquals(0, client.stats.retries.get());
    }

    @Test
    void anUnreachableOrSilentGeocoderFailsAddressesWithoutBlocking() throws Exception {
        GeocoderClient silent = client(serve((request, number) -> {
            Thread.sleep(3_000);
            return okForAll(request, number);
        }), ", \"timeout_seconds\": 0.2, \"max_attempts\": 2");
        long started = System.nanoTime();
        assertSame(GeocoderClient.FAILED, geocode(silent, 1).get(0));
        assertTrue(System.nanoTime() - started < 2_500_000_000L, "two attempts of 0.2 s, not the server's 3 s");
        stop();
        GeocoderClient unreachable = client("http://127.0.0.1:9", ", \"max_attempts\": 2");
        List<GeocoderClient.Geocode> answers = geocode(unreachable, 2);
        assertSame(GeocoderClient.FAILED, answers.get(0));
        assertSame(GeocoderClient.FAILED, answers.get(1));
        assertNull(answers.get(0).lat);
    }

    @Test
    void requestsStayWithinTheConnectionsAndTheRateLimit() throws Exception {
        GeocoderClient client = client(serve((request, number) -> {
            Thread.sleep(50);
            return okForAll(request, number);
        }), ", \"batch_size\": 1, \"connections\": 2");
        CompletableFuture<?>[] batches = new CompletableFuture<?>[8];
        for (int n = 0; n < batches.length; n++) {
            batches[n] = client.geocodeAll(List.of("a" + n), List.of(place(n)));
        }
        CompletableFuture.allOf(batches).get(30, TimeUnit.SECONDS);
        assertEquals(8, requests.size());
        assertEquals(2, mostConcurrent.get());

        stop();
        requests.clear();
        arrivals.clear();
        GeocoderClient limited = client(serve(GeocoderClientTest::okForAll), ", \"batch_size\": 1, \"requests_per_second\": 20");
        geocode(limited, 6);
        List<Long> sorted = new ArrayList<>(arrivals);
        Collections.sort(sorted);
        assertTrue(sorted.get(5) - sorted.get(0) >= 5 * 50_000_000L * 0.9, "six requests, five gaps of 50 ms");
    }

    @Test
    void iamAuthSignsEachRequestWithSigV4() throws Exception {
        System.setProperty("aws.accessKeyId", "AKIDEXAMPLE");
        System.setProperty("aws.secretAccessKey", "secret");
        try {
            GeocoderClient client = client(serve(GeocoderClientTest::okForAll), ", \"sigv4_region\": \"eu-west-1\"");
            assertEquals("ok", geocode(client, 1).get(0).status);
            String authorization = headers.get(0).getFirst("Authorization");
            assertTrue(authorization.startsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), authorization);
            assertTrue(authorization.contains("/eu-west-1/lambda/aws4_request"), authorization);
            assertTrue(headers.get(0).containsKey("X-amz-date"));
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }
}
