package streamingorders.flink;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 for the sink's requests to Amazon OpenSearch Service (service `es`), as
 * the SigV4 documentation specifies it: the headers to add to a request. Written here because the
 * AWS SDK is not on the job's classpath locally; tests check it against botocore's signer.
 */
final class SigV4 {
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private SigV4() {
    }

    static Map<String, String> headers(String method, URI uri, byte[] body, String contentType, AwsCredentials credentials,
                                       String region, String service, Instant now) throws GeneralSecurityException {
        String timestamp = TIMESTAMP.format(now);
        String date = timestamp.substring(0, 8);
        String payloadHash = hex(sha256(body));
        TreeMap<String, String> signed = new TreeMap<>();
        signed.put("content-type", contentType);
        signed.put("host", uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort());
        signed.put("x-amz-content-sha256", payloadHash);
        signed.put("x-amz-date", timestamp);
        if (credentials.sessionToken != null) {
            signed.put("x-amz-security-token", credentials.sessionToken);
        }
        StringBuilder canonicalHeaders = new StringBuilder();
        signed.forEach((name, value) -> canonicalHeaders.append(name).append(':').append(value.trim()).append('\n'));
        String signedHeaders = String.join(";", signed.keySet());
        String canonicalRequest = String.join("\n", method, uri.getRawPath().isEmpty() ? "/" : uri.getRawPath(),
                uri.getRawQuery() == null ? "" : uri.getRawQuery(), canonicalHeaders.toString(), signedHeaders, payloadHash);
        String scope = date + "/" + region + "/" + service + "/aws4_request";
        String stringToSign = String.join("\n", "AWS4-HMAC-SHA256", timestamp, scope,
                hex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8))));
        byte[] key = hmac(("AWS4" + credentials.secretKey).getBytes(StandardCharsets.UTF_8), date);
        key = hmac(hmac(hmac(key, region), service), "aws4_request");
        String signature = hex(hmac(key, stringToSign));

        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("X-Amz-Date", timestamp);
        headers.put("X-Amz-Content-Sha256", payloadHash);
        if (credentials.sessionToken != null) {
            headers.put("X-Amz-Security-Token", credentials.sessionToken);
        }
        headers.put("Authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.accessKey + "/" + scope
                + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature);
        return headers;
    }

    private static byte[] sha256(byte[] data) throws GeneralSecurityException {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    private static byte[] hmac(byte[] key, String data) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    private static String hex(byte[] bytes) {
        StringBuilder text = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            text.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return text.toString();
    }
}
