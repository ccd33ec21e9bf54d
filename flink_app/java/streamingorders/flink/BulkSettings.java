package streamingorders.flink;

import java.io.Serializable;

/** How the OpenSearch sink writes: where, as whom, in what batches, how persistently. */
final class BulkSettings implements Serializable {
    final String url;
    final String index;
    final String username;  // null: no authentication
    final String password;
    final int maxDocuments;
    final int maxBytes;
    final long flushIntervalMillis;
    final int maxAttempts;
    final long backoffMillis;

    BulkSettings(String url, String index, String username, String password, int maxDocuments, int maxBytes,
                 long flushIntervalMillis, int maxAttempts, long backoffMillis) {
        this.url = url;
        this.index = index;
        this.username = username;
        this.password = password;
        this.maxDocuments = maxDocuments;
        this.maxBytes = maxBytes;
        this.flushIntervalMillis = flushIntervalMillis;
        this.maxAttempts = maxAttempts;
        this.backoffMillis = backoffMillis;
    }
}
