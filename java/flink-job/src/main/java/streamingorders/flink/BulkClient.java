package streamingorders.flink;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Sends documents to OpenSearch's `_bulk` API and retries what can succeed later: the whole request
 * on a connection error, 429 or 5xx, and the items answered 429 or 5xx; with `_id` set, sending a
 * document again overwrites it, so retries never duplicate. Items refused for what they hold (a
 * mapping error) are returned with the reason. After the last attempt it throws: the job restarts
 * from its last checkpoint and sends again, so nothing is lost.
 */
final class BulkClient {
    static final class Document {
        final String id;
        final byte[] json;

        Document(String id, byte[] json) {
            this.id = id;
            this.json = json;
        }
    }

    static final class Rejected {
        final Document document;
        final String reason;

        Rejected(Document document, String reason) {
            this.document = document;
            this.reason = reason;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/x-ndjson";
    private final BulkSettings settings;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final URI endpoint;
    private final String authorization;
    private final AwsCredentials.Source credentials;
    long requests;
    long retries;

    BulkClient(BulkSettings settings) {
        this.settings = settings;
        this.endpoint = URI.create(settings.url + "/" + settings.index + "/_bulk");
        this.authorization = settings.username == null ? null : "Basic " + Base64.getEncoder().encodeToString(
                (settings.username + ":" + settings.password).getBytes(StandardCharsets.UTF_8));
        this.credentials = settings.sigv4Region == null ? null : AwsCredentials.source();
    }

    List<Rejected> write(List<Document> documents) throws Exception {
        List<Rejected> rejected = new ArrayList<>();
        List<Document> pending = documents;
        String problem = "";
        for (int attempt = 1; attempt <= settings.maxAttempts; attempt++) {
            if (attempt > 1) {
                retries++;
                Thread.sleep(backoffMillis(attempt));
            }
            HttpResponse<String> response;
            try {
                requests++;
                response = http.send(request(pending), HttpResponse.BodyHandlers.ofString());
            } catch (IOException error) {
                problem = error.toString();
                continue;
            }
            int status = response.statusCode();
            if (status == 429 || status >= 500) {
                problem = "HTTP " + status;
                continue;
            }
            if (status != 200) {  // 400, 401, 403, 413...: the request or the setup is wrong, not the data
                throw new IOException("OpenSearch refused the bulk request: HTTP " + status + ": " + head(response.body()));
            }
            List<Document> again = new ArrayList<>();
            JsonNode answer = JSON.readTree(response.body());
            if (answer.path("errors").asBoolean(false)) {
                JsonNode items = answer.path("items");
                for (int i = 0; i < pending.size(); i++) {
                    JsonNode result = items.path(i).elements().hasNext() ? items.path(i).elements().next() : null;
                    int itemStatus = result == null ? 500 : result.path("status").asInt(500);
                    if (itemStatus == 429 || itemStatus >= 500) {
                        again.add(pending.get(i));
                    } else if (itemStatus >= 300) {
                        JsonNode error = result.path("error");
                        rejected.add(new Rejected(pending.get(i), "OpenSearch refused the document: "
                                + error.path("type").asText() + ": " + error.path("reason").asText()));
                    }
                }
            }
            if (again.isEmpty()) {
                return rejected;
            }
            problem = again.size() + " item(s) answered 429 or 5xx";
            pending = again;
        }
        throw new IOException("OpenSearch did not take " + pending.size() + " document(s) after "
                + settings.maxAttempts + " attempts: " + problem);
    }

    private HttpRequest request(List<Document> documents) throws Exception {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Document document : documents) {
            body.write(("{\"index\":{\"_id\":" + JSON.writeValueAsString(document.id) + "}}\n")
                    .getBytes(StandardCharsets.UTF_8));
            body.write(document.json);
            body.write('\n');
        }
        byte[] bytes = body.toByteArray();
        HttpRequest.Builder builder = HttpRequest.newBuilder(endpoint)
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        if (credentials != null) {
            SigV4.headers("POST", endpoint, bytes, CONTENT_TYPE, credentials.current(), settings.sigv4Region,
                    settings.sigv4Service, Instant.now()).forEach(builder::header);
        }
        return builder.build();
    }

    /** Full jitter under a ceiling that doubles per attempt, at most 30 s. */
    private long backoffMillis(int attempt) {
        long ceiling = Math.min(30_000L, settings.backoffMillis << Math.min(attempt - 2, 16));
        return ThreadLocalRandom.current().nextLong(ceiling + 1);
    }

    private static String head(String text) {
        return text.length() > 500 ? text.substring(0, 500) : text;
    }
}
