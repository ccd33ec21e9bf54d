package streamingorders.flink;

import java.io.Serializable;

/** How the OpenSearch sink writes: where, as whom, in what batches, how persistently. */
final class BulkSettings implements Serializable {
    final String url;
    final String index;
    final String username;  // basic auth; null: none
    final String password;  // or, with passwordSecretArn, read from that secret when the writer opens
    final String passwordSecretArn;
    final String sigv4Region;  // SigV4-sign for Amazon OpenSearch Service in this region; null: do not sign
    final String sigv4Service;  // es (managed domains) or aoss (serverless)
    final int maxDocuments;
    final int maxBytes;
    final long flushIntervalMillis;
    final int maxAttempts;
    final long backoffMillis;
    final int maxInFlight;  // unanswered requests per subtask

    BulkSettings(String url, String index, String username, String password, String passwordSecretArn,
                 String sigv4Region, String sigv4Service,
                 int maxDocuments, int maxBytes, long flushIntervalMillis, int maxAttempts, long backoffMillis,
                 int maxInFlight) {
        this.url = url;
        this.index = index;
        this.username = username;
        this.password = password;
        this.passwordSecretArn = passwordSecretArn;
        this.sigv4Region = sigv4Region;
        this.sigv4Service = sigv4Service;
        this.maxDocuments = maxDocuments;
        this.maxBytes = maxBytes;
        this.flushIntervalMillis = flushIntervalMillis;
        this.maxAttempts = maxAttempts;
        this.backoffMillis = backoffMillis;
        this.maxInFlight = maxInFlight;
    }
}
