package streamingorders.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What of a secret is the password (tests/test_flink_opensearch.py reads one from moto's Secrets Manager). */
class SecretPasswordTest {
    private static final String ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-writer-AbCdEf";

    @Test
    void aPlainSecretIsThePasswordItself() {
        assertEquals("s3cr3t{", SecretPassword.passwordIn("s3cr3t{", ARN));
        assertEquals("{not json", SecretPassword.passwordIn("{not json", ARN));
        assertEquals("12345", SecretPassword.passwordIn("12345", ARN));  // JSON, but no object
    }

    @Test
    void aJsonSecretHoldsItInItsPasswordMember() {
        assertEquals("pw", SecretPassword.passwordIn("{\"username\": \"writer\", \"password\": \"pw\"}", ARN));
    }

    @Test
    void aJsonSecretWithoutAStringPasswordIsAClearError() {
        for (String secret : new String[] {"{\"username\": \"writer\"}", "{\"password\": 42}"}) {
            var error = assertThrows(IllegalStateException.class, () -> SecretPassword.passwordIn(secret, ARN));
            assertTrue(error.getMessage().contains(ARN) && error.getMessage().contains("`password`"), error.getMessage());
        }
    }

    @Test
    void aMalformedArnIsRefusedBeforeAnyCall() {
        var error = assertThrows(IllegalArgumentException.class, () -> SecretPassword.read("orders-writer"));
        assertTrue(error.getMessage().contains("not a Secrets Manager secret ARN"), error.getMessage());
    }
}
