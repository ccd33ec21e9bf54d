package streamingorders.flink;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

/**
 * Sends one bulk request to OpenSearch's `_bulk` API without waiting for it, and sorts its answer
 * (off the task thread): what can succeed later (the whole request on a connection error, 429 or
 * 5xx; the items answered 429 or 5xx), and the items refused for what they hold (a mapping error),
 * with the reason. With `_id` set, sending a document again overwrites it, so retries never
 * duplicate. Requests are SigV4-signed when a region is set ({@link SignedRequests}). The
 * answer is filtered to what is sorted (`filter_path`): a status per item, the error of a refused one.
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

    /** What one request came back with: the documents to send again (and why), the refused ones. */
    static final class Answer {
        final List<Document> retry;
        final String retryReason;
        final List<Rejected> rejected;

        Answer(List<Document> retry, String retryReason, List<Rejected> rejected) {
            this.retry = retry;
            this.retryReason = retryReason;
            this.rejected = rejected;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/x-ndjson";
    private static final String FILTER_PATH = "errors,items.*.status,items.*.error.type,items.*.error.reason";
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final SdkHttpRequest target;
    private final String authorization;
    private final SignedRequests requests;

    BulkClient(BulkSettings settings) {
        this.target = bulkRequest(settings.url, settings.index);
        this.authorization = settings.username == null ? null : basic(settings.username,
                settings.passwordSecretArn == null ? settings.password : SecretPassword.read(settings.passwordSecretArn));
        this.requests = new SignedRequests(settings.sigv4Region, settings.sigv4Service);
    }

    /** `POST <url>/<index>/_bulk?filter_path=...`, the index encoded as a path segment. */
    static SdkHttpRequest bulkRequest(String url, String index) {
        URI base = URI.create(url);
        return SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(base)
                .encodedPath(base.getRawPath() + "/" + SdkHttpUtils.urlEncode(index) + "/_bulk")
                .putRawQueryParameter("filter_path", FILTER_PATH)
                .putHeader("Content-Type", CONTENT_TYPE)
                .build();
    }

    /**
     * The request's answer; completes exceptionally when the request itself is refused (400, 401,
     * 403, 413...: the setup is wrong, not the data), which retrying cannot mend.
     */
    CompletableFuture<Answer> send(List<Document> documents) {
        HttpRequest request = request(documents);
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).handle((response, error) -> {
            if (error != null) {
                return new Answer(documents, error.getCause() == null ? error.toString() : error.getCause().toString(), List.of());
            }
            int status = response.statusCode();
            if (status == 429 || status >= 500) {
                return new Answer(documents, "HTTP " + status, List.of());
            }
            if (status != 200) {
                throw new CompletionException(new IOException("OpenSearch refused the bulk request: HTTP " + status
                        + ": " + head(new String(response.body(), StandardCharsets.UTF_8))));
            }
            return items(documents, response.body());
        });
    }

    private static Answer items(List<Document> documents, byte[] body) {
        JsonNode answer;
        try {
            answer = JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!answer.path("errors").asBoolean(false)) {
            return new Answer(List.of(), "", List.of());
        }
        List<Document> retry = new ArrayList<>();
        List<Rejected> rejected = new ArrayList<>();
        JsonNode items = answer.path("items");
        for (int i = 0; i < documents.size(); i++) {
            JsonNode result = items.path(i).elements().hasNext() ? items.path(i).elements().next() : null;
            int status = result == null ? 500 : result.path("status").asInt(500);
            if (status == 429 || status >= 500) {
                retry.add(documents.get(i));
            } else if (status >= 300) {
                JsonNode error = result.path("error");
                rejected.add(new Rejected(documents.get(i), "OpenSearch refused the document: "
                        + error.path("type").asText() + ": " + error.path("reason").asText()));
            }
        }
        return new Answer(retry, retry.size() + " item(s) answered 429 or 5xx", rejected);
    }

    private HttpRequest request(List<Document> documents) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Document document : documents) {
            body.writeBytes(("{\"index\":{\"_id\":" + quoted(document.id) + "}}\n").getBytes(StandardCharsets.UTF_8));
            body.writeBytes(document.json);
            body.write('\n');
        }
        HttpRequest.Builder builder = requests.post(target, body.toByteArray(), Duration.ofSeconds(60));
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return builder.build();
    }

    private static String basic(String username, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String quoted(String text) {
        try {
            return JSON.writeValueAsString(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String head(String text) {
        return text.length() > 500 ? text.substring(0, 500) : text;
    }
}
