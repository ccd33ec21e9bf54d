package streamingorders.flink;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ArrayNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;

/**
 * The job's client of the geocoding API (docs/contract.md §6), the JVM's twin of
 * flink_app/geocoder_client.py: the places of a batch that are not known yet go out in requests of
 * up to `batch_size`, at most `connections` at a time, spaced by `requests_per_second`; timeouts,
 * connection errors, 429, 5xx and answers that break the contract are retried up to `max_attempts`
 * with full-jitter exponential backoff (at least the `Retry-After` asked); a 400 splits the request
 * until only the refused address is left. A version whose place equals its address's previous
 * version reuses that answer, and an LRU of `cache_size` places answers the rest seen before.
 *
 * <p>Every address gets an answer: after the last attempt (or a 4xx retrying cannot mend) it is
 * `failed` with no location, and a later version at the same place asks again. Thread-safe: the
 * task thread asks, the HTTP client's threads answer.
 */
final class GeocoderClient {
    static final List<String> FIELDS = List.of("street", "city", "county", "state", "zip", "country");
    static final Geocode FAILED = new Geocode(null, null, "failed", null, null);
    private static final Set<String> STATUSES = Set.of("ok", "not_found");
    private static final Set<String> PRECISIONS = Set.of("rooftop", "street", "postcode", "locality");
    private static final Logger LOG = LoggerFactory.getLogger(GeocoderClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What an order document carries for an address (docs/contract.md §3). */
    static final class Geocode {
        final Double lat;
        final Double lon;
        final String status;
        final String precision;
        final String provider;

        Geocode(Double lat, Double lon, String status, String precision, String provider) {
            this.lat = lat;
            this.lon = lon;
            this.status = status;
            this.precision = precision;
            this.provider = provider;
        }
    }

    /** Counters for the job's metrics (the Python client's GeocoderStats). */
    static final class Stats {
        final AtomicLong requests = new AtomicLong();  // HTTP requests made, retries included
        final AtomicLong addressesSent = new AtomicLong();
        final AtomicLong reused = new AtomicLong();  // a version whose place equals its address's previous one
        final AtomicLong cacheHits = new AtomicLong();
        final AtomicLong retries = new AtomicLong();
        final AtomicLong failures = new AtomicLong();  // addresses that ended `failed`
        final AtomicLong answered = new AtomicLong();  // requests answered (any status)
        final AtomicLong latencyNanos = new AtomicLong();  // of the requests answered

        long meanLatencyMillis() {
            long count = answered.get();
            return count == 0 ? 0 : Math.round(latencyNanos.get() / 1e6 / count);
        }
    }

    private static final class GeocoderException extends RuntimeException {
        final boolean retryable;  // false: the request itself is refused (a 4xx other than 429)
        final double retryAfterSeconds;

        GeocoderException(String reason, boolean retryable, double retryAfterSeconds) {
            super(reason, null, false, false);
            this.retryable = retryable;
            this.retryAfterSeconds = retryAfterSeconds;
        }
    }

    private static final class Pending {
        final List<String> place;
        final CompletableFuture<Geocode> answer = new CompletableFuture<>();

        Pending(List<String> place) {
            this.place = place;
        }
    }

    private static final class Version {
        final List<String> place;
        final CompletableFuture<Geocode> answer;

        Version(List<String> place, CompletableFuture<Geocode> answer) {
            this.place = place;
            this.answer = answer;
        }
    }

    final Stats stats = new Stats();
    private final GeocoderSettings settings;
    private final SdkHttpRequest target;
    private final SignedRequests requests;
    private final HttpClient http;
    // Guarded by `this`: the caches, the requests waiting for a connection, the rate limit's next slot.
    private final Map<List<String>, CompletableFuture<Geocode>> answers;
    private final Map<String, Version> lastVersions;
    private final Deque<Runnable> waitingForConnection = new ArrayDeque<>();
    private int connectionsInUse;
    private long nextSlotNanos = System.nanoTime();

    GeocoderClient(GeocoderSettings settings) {
        this.settings = settings;
        URI endpoint = URI.create(settings.url.replaceAll("/+$", "") + "/geocode");
        this.target = SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(endpoint)
                .putHeader("Content-Type", "application/json").build();
        this.requests = new SignedRequests(settings.sigv4Region, "lambda");
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout()).build();
        this.answers = lru(settings.cacheSize);
        this.lastVersions = lru(settings.cacheSize);
    }

    /** The answers for `places` (the FIELDS of each) of the addresses `addressIds`, in order. */
    CompletableFuture<List<Geocode>> geocodeAll(List<String> addressIds, List<List<String>> places) {
        List<CompletableFuture<Geocode>> batch = new ArrayList<>(places.size());
        List<Pending> toSend = new ArrayList<>();
        synchronized (this) {
            for (int i = 0; i < places.size(); i++) {
                batch.add(answer(addressIds.get(i), places.get(i), toSend));
            }
        }
        for (int start = 0; start < toSend.size(); start += settings.batchSize) {
            send(toSend.subList(start, Math.min(toSend.size(), start + settings.batchSize)));
        }
        return CompletableFuture.allOf(batch.toArray(new CompletableFuture<?>[0])).thenApply(done -> {
            List<Geocode> result = new ArrayList<>(batch.size());
            batch.forEach(answer -> result.add(answer.join()));
            return result;
        });
    }

    /** The previous version's answer if the place did not move, a cached one, or a new one to send. */
    private CompletableFuture<Geocode> answer(String addressId, List<String> place, List<Pending> toSend) {
        Version previous = lastVersions.get(addressId);
        if (previous != null && previous.place.equals(place) && !failed(previous.answer)) {
            stats.reused.incrementAndGet();
            return previous.answer;
        }
        CompletableFuture<Geocode> answer = answers.get(place);
        if (answer != null && !failed(answer)) {
            stats.cacheHits.incrementAndGet();
        } else {
            Pending pending = new Pending(place);
            toSend.add(pending);
            answer = pending.answer;
            answers.put(place, answer);
        }
        lastVersions.put(addressId, new Version(place, answer));
        return answer;
    }

    private void send(List<Pending> batch) {
        attempt(batch, body(batch), 1);
    }

    private void attempt(List<Pending> batch, byte[] body, int attempt) {
        post(body, batch.size()).whenComplete((geocodes, error) -> {
            if (error == null) {
                for (int i = 0; i < batch.size(); i++) {
                    batch.get(i).answer.complete(geocodes.get(i));
                }
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (!(cause instanceof GeocoderException)) {
                fail(batch, cause.toString());
            } else if (!((GeocoderException) cause).retryable) {
                if (batch.size() > 1) {  // one address the API refuses must not fail the others: halve and resend
                    int half = batch.size() / 2;
                    send(batch.subList(0, half));
                    send(batch.subList(half, batch.size()));
                } else {
                    fail(batch, cause.getMessage());
                }
            } else if (attempt == settings.maxAttempts) {
                fail(batch, cause.getMessage() + " (after " + attempt + " attempts)");
            } else {
                stats.retries.incrementAndGet();
                long delay = backoffNanos(attempt, ((GeocoderException) cause).retryAfterSeconds);
                CompletableFuture.delayedExecutor(delay, TimeUnit.NANOSECONDS).execute(() -> attempt(batch, body, attempt + 1));
            }
        });
    }

    /** One request's geocodes, once a connection and the rate limit allow it. */
    private CompletableFuture<List<Geocode>> post(byte[] body, int count) {
        CompletableFuture<List<Geocode>> result = new CompletableFuture<>();
        withConnection(() -> {
            long wait = rateLimitWaitNanos();
            Executor start = wait > 0 ? CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS) : Runnable::run;
            start.execute(() -> request(body, count).whenComplete((geocodes, error) -> {
                releaseConnection();
                if (error == null) {
                    result.complete(geocodes);
                } else {
                    result.completeExceptionally(error);
                }
            }));
        });
        return result;
    }

    private CompletableFuture<List<Geocode>> request(byte[] body, int count) {
        stats.requests.incrementAndGet();
        stats.addressesSent.addAndGet(count);
        long started = System.nanoTime();
        CompletableFuture<HttpResponse<String>> sent;
        try {
            sent = http.sendAsync(requests.post(target, body, timeout()).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {  // credentials that cannot be resolved: retried like a connection error
            return CompletableFuture.failedFuture(new GeocoderException(e.toString(), true, 0));
        }
        return sent.handle((response, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                throw new GeocoderException(cause instanceof HttpTimeoutException
                        ? "no answer within " + settings.timeoutSeconds + " s" : cause.toString(), true, 0);
            }
            stats.answered.incrementAndGet();
            stats.latencyNanos.addAndGet(System.nanoTime() - started);
            int status = response.statusCode();
            if (status == 429 || status >= 500) {
                throw new GeocoderException("HTTP " + status, true, retryAfter(response));
            }
            if (status != 200) {
                String text = response.body();
                throw new GeocoderException("HTTP " + status + ": " + text.substring(0, Math.min(200, text.length())), false, 0);
            }
            return geocodes(response.body(), count);
        });
    }

    private void withConnection(Runnable request) {
        synchronized (this) {
            if (connectionsInUse >= settings.connections) {
                waitingForConnection.add(request);
                return;
            }
            connectionsInUse++;
        }
        request.run();
    }

    private void releaseConnection() {
        Runnable next;
        synchronized (this) {
            next = waitingForConnection.poll();
            if (next == null) {
                connectionsInUse--;
                return;
            }
        }
        next.run();  // the connection passes to the next request
    }

    /** How long this request waits for its slot: requests are spaced `1 / requests_per_second` apart. */
    private synchronized long rateLimitWaitNanos() {
        if (settings.requestsPerSecond <= 0) {
            return 0;
        }
        long now = System.nanoTime();
        long slot = Math.max(now, nextSlotNanos);
        nextSlotNanos = slot + Math.round(1e9 / settings.requestsPerSecond);
        return slot - now;
    }

    /** Full jitter under an exponential ceiling; at least what the server's Retry-After asks. */
    private long backoffNanos(int attempt, double retryAfterSeconds) {
        double ceiling = Math.min(settings.maxBackoffSeconds, settings.backoffSeconds * Math.pow(2, attempt - 1));
        double seconds = Math.max(ThreadLocalRandom.current().nextDouble() * ceiling,
                Math.min(retryAfterSeconds, settings.maxBackoffSeconds));
        return Math.round(seconds * 1e9);
    }

    private void fail(List<Pending> batch, String reason) {
        LOG.warn("geocoding failed for {} address(es): {}", batch.size(), reason);
        stats.failures.addAndGet(batch.size());
        synchronized (this) {
            batch.forEach(pending -> answers.remove(pending.place, pending.answer));  // a later version asks again
        }
        batch.forEach(pending -> pending.answer.complete(FAILED));
    }

    private static boolean failed(CompletableFuture<Geocode> answer) {
        return answer.getNow(null) == FAILED;
    }

    private Duration timeout() {
        return Duration.ofMillis(Math.round(settings.timeoutSeconds * 1000));
    }

    private static byte[] body(List<Pending> batch) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode addresses = body.putArray("addresses");
        for (int i = 0; i < batch.size(); i++) {
            ObjectNode address = addresses.addObject().put("id", String.valueOf(i));
            for (int f = 0; f < FIELDS.size(); f++) {
                address.put(FIELDS.get(f), batch.get(i).place.get(f));
            }
        }
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double retryAfter(HttpResponse<?> response) {
        try {
            return response.headers().firstValue("Retry-After").map(Double::parseDouble).orElse(0.0);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The results of a 200 answer, in the order asked; a retryable error when they break the contract. */
    private static List<Geocode> geocodes(String text, int count) {
        try {
            JsonNode results = JSON.readTree(text).get("results");
            if (results == null || !results.isArray() || results.size() != count) {
                throw new IllegalArgumentException(count + " results expected");
            }
            List<Geocode> geocodes = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                JsonNode result = results.get(i);
                String status = result.path("status").asText(null);
                JsonNode precision = result.path("precision");
                JsonNode location = result.path("location");
                boolean located = location.isObject();
                if (!String.valueOf(i).equals(result.path("id").asText(null)) || !STATUSES.contains(status)
                        || !(precision.isMissingNode() || precision.isNull() || PRECISIONS.contains(precision.asText()))
                        || !(located || location.isMissingNode() || location.isNull())
                        || (status.equals("ok") && !located)
                        || (located && !(location.path("lat").isNumber() && location.path("lon").isNumber()))) {
                    throw new IllegalArgumentException("unexpected result " + result);
                }
                JsonNode provider = result.path("provider");
                geocodes.add(new Geocode(located ? location.get("lat").asDouble() : null,
                        located ? location.get("lon").asDouble() : null, status,
                        precision.isTextual() ? precision.asText() : null,
                        provider.isTextual() ? provider.asText() : null));
            }
            return geocodes;
        } catch (IOException | IllegalArgumentException e) {
            throw new GeocoderException("malformed answer (" + e.getMessage() + ")", true, 0);
        }
    }

    private static <K, V> Map<K, V> lru(int size) {
        return new LinkedHashMap<K, V>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > size;
            }
        };
    }
}
