package streamingorders.flink;

import java.lang.reflect.Method;

/**
 * The credentials the sink signs with: the AWS SDK v2's default provider chain where the SDK is on
 * the classpath (in MSF, the application's role), else the standard environment variables. In the
 * MSF package the SDK is the one the Kinesis connector shades (msf_package checks it is there).
 */
final class AwsCredentials {
    static final String[] PROVIDERS = {
            "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider",
            "org.apache.flink.connector.kinesis.sink.shaded.software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider",
    };

    final String accessKey;
    final String secretKey;
    final String sessionToken;  // null for long-term credentials

    private AwsCredentials(String accessKey, String secretKey, String sessionToken) {
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.sessionToken = sessionToken;
    }

    /** Resolves a source once; `current()` on it is cheap (the SDK caches and refreshes). */
    static Source source() {
        for (String name : PROVIDERS) {
            try {
                Object provider = Class.forName(name).getMethod("create").invoke(null);
                Method resolve = provider.getClass().getMethod("resolveCredentials");
                return () -> fromSdk(resolve.invoke(provider));
            } catch (ReflectiveOperationException notThisOne) {
                // try the next name
            }
        }
        return AwsCredentials::fromEnvironment;
    }

    interface Source {
        AwsCredentials current() throws Exception;
    }

    private static AwsCredentials fromSdk(Object credentials) throws ReflectiveOperationException {
        String token = null;
        try {
            token = (String) credentials.getClass().getMethod("sessionToken").invoke(credentials);
        } catch (NoSuchMethodException longTerm) {
            // AwsBasicCredentials: no session token
        }
        return new AwsCredentials((String) credentials.getClass().getMethod("accessKeyId").invoke(credentials),
                (String) credentials.getClass().getMethod("secretAccessKey").invoke(credentials), token);
    }

    private static AwsCredentials fromEnvironment() {
        String accessKey = System.getenv("AWS_ACCESS_KEY_ID");
        String secretKey = System.getenv("AWS_SECRET_ACCESS_KEY");
        if (accessKey == null || secretKey == null) {
            throw new IllegalStateException("OpenSearch sigv4 auth: no AWS credentials (neither the AWS SDK on the "
                    + "classpath nor AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
        }
        return new AwsCredentials(accessKey, secretKey, System.getenv("AWS_SESSION_TOKEN"));
    }
}
