package streamingorders.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/**
 * A coarse coordinate is the exact value of the double rounded half-even to 0.01 degree: a decimal
 * that sits on a half rounds the way its double lies, and the result prints with two places.
 */
class CoarseLocationTest {
    @Test
    void roundsTheExactValueOfTheDouble() {
        assertEquals(new BigDecimal("40.74"), EncodeDocument.coarse(40.745));  // the double is below the half
        assertEquals(new BigDecimal("40.77"), EncodeDocument.coarse(40.765));  // the double is above it
        assertEquals(new BigDecimal("-88.82"), EncodeDocument.coarse(-88.8196));
        assertEquals(new BigDecimal("0.00"), EncodeDocument.coarse(0.004));
    }

    @Test
    void printsTwoPlaces() {
        assertEquals("-74.00", EncodeDocument.coarse(-73.9967).toPlainString());
    }
}
