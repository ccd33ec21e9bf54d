package streamingorders.flink;

import java.net.http.HttpRequest;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;

/**
 * POST requests for java.net.http, SigV4-signed for `service` in `region` with the AWS SDK's signer
 * and default credentials chain (in MSF: the application's role), or unsigned without a region.
 * The request sent is the one signed (its path and query as the SDK encoded them), so the server
 * computes the same canonical request.
 */
final class SignedRequests {
    private final String region;
    private final String service;
    private final AwsCredentialsProvider credentials;
    private final AwsV4HttpSigner signer;

    SignedRequests(String region, String service) {
        this.region = region;
        this.service = service;
        this.credentials = region == null ? null : DefaultCredentialsProvider.builder().build();
        this.signer = region == null ? null : AwsV4HttpSigner.create();
    }

    /** `target` (method, URI and headers) with `body`, signed when a region is set. */
    HttpRequest.Builder post(SdkHttpRequest target, byte[] body, Duration timeout) {
        SdkHttpRequest sent = signer == null ? target : signer.sign(r -> r.identity(credentials.resolveCredentials())
                .request(target)
                .payload(ContentStreamProvider.fromByteArrayUnsafe(body))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, service)
                .putProperty(AwsV4HttpSigner.REGION_NAME, region)).request();
        HttpRequest.Builder builder = HttpRequest.newBuilder(sent.getUri())
                .timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        sent.headers().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("Host")) {  // HttpClient sets Host
                values.forEach(value -> builder.header(name, value));
            }
        });
        return builder;
    }
}
