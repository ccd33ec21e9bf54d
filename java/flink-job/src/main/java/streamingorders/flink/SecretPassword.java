package streamingorders.flink;

import java.io.IOException;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * A password kept in AWS Secrets Manager, read where it is used (when the OpenSearch writer opens),
 * so that it never travels through the job's properties, its SQL or its serialized settings. The
 * secret is a plain string, or a JSON object with a `password` member (as Secrets Manager's
 * generated secrets are). The client uses the secret's region, the default credentials chain (in
 * MSF: the application's role) and the SDK's standard endpoint variables.
 */
final class SecretPassword {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SecretPassword() {
    }

    static String read(String secretArn) {
        String[] arn = secretArn.split(":", 7);
        if (arn.length != 7 || !arn[0].equals("arn") || !arn[2].equals("secretsmanager") || !arn[5].equals("secret")) {
            throw new IllegalArgumentException("not a Secrets Manager secret ARN: " + secretArn);
        }
        String secret;
        try (SecretsManagerClient client = SecretsManagerClient.builder().region(Region.of(arn[3]))
                .httpClientBuilder(ApacheHttpClient.builder()).build()) {
            secret = client.getSecretValue(r -> r.secretId(secretArn)).secretString();
        } catch (SdkException e) {
            throw new IllegalStateException("cannot read the OpenSearch password from " + secretArn + ": " + e.getMessage(), e);
        }
        if (secret == null) {
            throw new IllegalStateException("the secret " + secretArn + " holds no string (a binary secret?)");
        }
        return passwordIn(secret, secretArn);
    }

    /** The secret itself, or its `password` member when it is a JSON object. */
    static String passwordIn(String secret, String secretArn) {
        JsonNode parsed;
        try {
            parsed = JSON.readTree(secret);
        } catch (IOException e) {
            return secret;
        }
        if (parsed == null || !parsed.isObject()) {
            return secret;
        }
        JsonNode password = parsed.get("password");
        if (password == null || !password.isTextual()) {
            throw new IllegalStateException("the secret " + secretArn + " is a JSON object without a string `password`");
        }
        return password.asText();
    }
}
