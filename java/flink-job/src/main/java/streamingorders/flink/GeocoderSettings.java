package streamingorders.flink;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

/** The `geocoder` settings (flink_app/config.py, GeocoderSettings there), as the job's Python side sends them. */
final class GeocoderSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    final String url;
    final int batchSize;
    final double timeoutSeconds;
    final int maxAttempts;
    final double backoffSeconds;
    final double maxBackoffSeconds;
    final double requestsPerSecond;
    final int connections;
    final int cacheSize;
    final String sigv4Region;  // null: plain HTTP

    private GeocoderSettings(JsonNode json) {
        url = json.get("url").asText();
        batchSize = json.get("batch_size").asInt();
        timeoutSeconds = json.get("timeout_seconds").asDouble();
        maxAttempts = json.get("max_attempts").asInt();
        backoffSeconds = json.get("backoff_seconds").asDouble();
        maxBackoffSeconds = json.get("max_backoff_seconds").asDouble();
        requestsPerSecond = json.get("requests_per_second").asDouble();
        connections = json.get("connections").asInt();
        cacheSize = json.get("cache_size").asInt();
        sigv4Region = json.get("sigv4_region").isNull() ? null : json.get("sigv4_region").asText();
    }

    /** The settings from their JSON object (the Python dataclass's fields). */
    static GeocoderSettings fromJson(String json) {
        try {
            return new GeocoderSettings(new ObjectMapper().readTree(json));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
