package streamingorders.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;

/** ValidateRecords as an operator: a valid record becomes its row, a bad one a dead letter beside it. */
class ValidateRecordsTest {
    private static final String[] NAMES = {"address_id", "zip", "gmt_offset", "address_datetime"};
    private static final String[] KINDS = {"id", "str", "decimal", "timestamp"};

    private static OneInputStreamOperatorTestHarness<byte[], Row> harness() throws Exception {
        ValidateRecords validator = new ValidateRecords("addresses", NAMES, KINDS,
                new String[] {"address_id", "address_datetime"}, "address_datetime",
                new int[] {0, 0, 5, 0}, new int[] {0, 0, 2, 0});
        return ProcessFunctionTestHarnesses.forProcessFunction(validator);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void validRecordsBecomeRowsInOrderAndBadOnesDeadLettersWithTheirReason() throws Exception {
        try (OneInputStreamOperatorTestHarness<byte[], Row> harness = harness()) {
            harness.processElement(bytes("{\"address_id\": \"A1\", \"gmt_offset\": -5, \"address_datetime\": \"2026-11-24T10:00:00Z\"}"), 1);
            harness.processElement(bytes("{\"address_id\": \"\", \"address_datetime\": \"2026-11-24T10:00:00Z\"}"), 2);
            byte[] notUtf8 = {'{', '"', 'z', 'i', 'p', '"', ':', '"', (byte) 0xFF, '"', '}'};
            harness.processElement(notUtf8, 3);
            harness.processElement(bytes("{\"address_id\": \"A2\", \"zip\": \"10001\", \"address_datetime\": \"2026-11-24T11:00:00.5+01:00\"}"), 4);

            List<Row> rows = harness.extractOutputValues();
            assertEquals(2, rows.size());
            assertEquals(Row.of("A1", null, "-5", "2026-11-24T10:00:00Z", 1_795_514_400_000L), rows.get(0));
            assertEquals(Row.of("A2", "10001", null, "2026-11-24T11:00:00.5+01:00", 1_795_514_400_500L), rows.get(1));

            List<Row> dead = new ArrayList<>();
            for (StreamRecord<Row> record : harness.getSideOutput(ValidateRecords.DEAD_LETTERS)) {
                dead.add(record.getValue());
            }
            assertEquals(2, dead.size());
            assertEquals("field 'address_id' must be a non-empty string, not a string ('')", dead.get(0).getField(2));
            assertNull(dead.get(0).getField(3));
            assertEquals("not UTF-8: invalid byte 0xFF at byte offset 8", dead.get(1).getField(2));
            assertEquals("{\"zip\":\"\uFFFD\"}", dead.get(1).getField(1));
            assertEquals(Base64.getEncoder().encodeToString(notUtf8), dead.get(1).getField(3));
        }
    }
}
