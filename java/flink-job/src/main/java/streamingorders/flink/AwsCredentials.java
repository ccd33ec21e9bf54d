package streamingorders.flink;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;

/**
 * The credentials the sink signs with: the AWS SDK's default provider chain (environment, profile,
 * container and instance roles; in MSF, the application's role).
 */
final class AwsCredentials {
    final String accessKey;
    final String secretKey;
    final String sessionToken;  // null for long-term credentials

    private AwsCredentials(String accessKey, String secretKey, String sessionToken) {
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.sessionToken = sessionToken;
    }

    /** A source resolved once; `current()` on it is cheap (the SDK caches and refreshes). */
    static Source source() {
        AwsCredentialsProvider provider = DefaultCredentialsProvider.builder().build();
        return () -> {
            software.amazon.awssdk.auth.credentials.AwsCredentials credentials = provider.resolveCredentials();
            String token = credentials instanceof AwsSessionCredentials
                    ? ((AwsSessionCredentials) credentials).sessionToken() : null;
            return new AwsCredentials(credentials.accessKeyId(), credentials.secretAccessKey(), token);
        };
    }

    interface Source {
        AwsCredentials current();
    }
}
