package streamingorders.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;

/**
 * The as-of join of a sale's customer (docs/contract.md §4), elements and watermarks scripted: a
 * sale waits for the versions' watermark, then takes the customer version at or before its time
 * and that version's address at or before it; a tie goes to the later delivery; a sale behind the
 * watermark is joined at once; a customer never seen gives nulls; waiting sales survive a restore.
 */
class CustomerAsOfTest {
    private static final RowTypeInfo SALE = new RowTypeInfo(
            new TypeInformation<?>[] {Types.STRING, Types.STRING, Types.LONG}, new String[] {"line_id", "bill_customer_id", "event_ms"});

    private static KeyedTwoInputStreamOperatorTestHarness<String, Row, RoutedVersion, Row> harness() throws Exception {
        CustomerAsOf join = new CustomerAsOf(SALE, "bill_customer_id", null, 0);
        return new KeyedTwoInputStreamOperatorTestHarness<>(join, join.saleKey(), CustomerAsOf.versionKey(), Types.STRING);
    }

    private static StreamRecord<Row> sale(String line, String customer, long time) {
        return new StreamRecord<>(Row.of(line, customer, time), time);
    }

    private static StreamRecord<RoutedVersion> customer(String id, String address, long time, String document) {
        return new StreamRecord<>(RoutedVersion.ofCustomer(id, new Version(time, address, bytes(document))), time);
    }

    private static StreamRecord<RoutedVersion> address(String customer, String id, long time, String document) {
        return new StreamRecord<>(RoutedVersion.ofAddress(customer, new Version(time, id, bytes(document))), time);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(Object bytes) {
        return bytes == null ? null : new String((byte[]) bytes, StandardCharsets.UTF_8);
    }

    private static void watermark(KeyedTwoInputStreamOperatorTestHarness<String, Row, RoutedVersion, Row> harness, long time)
            throws Exception {
        harness.processWatermark1(new Watermark(time));
        harness.processWatermark2(new Watermark(time));
    }

    /** (line_id, customer document, address document, the record's timestamp) of each output. */
    private static List<List<Object>> joined(KeyedTwoInputStreamOperatorTestHarness<String, Row, RoutedVersion, Row> harness) {
        List<List<Object>> rows = new ArrayList<>();
        for (StreamRecord<? extends Row> record : harness.extractOutputStreamRecords()) {
            Row row = record.getValue();
            rows.add(java.util.Arrays.asList(row.getField(0), text(row.getField(3)), text(row.getField(4)), record.getTimestamp()));
        }
        return rows;
    }

    @Test
    void aSaleTakesTheVersionsAsOfItsTimeOnceTheirWatermarkHasPassedIt() throws Exception {
        OperatorSubtaskState snapshot;
        try (var harness = harness()) {
            harness.open();
            harness.processElement2(customer("C1", "A1", 100, "c1 v1"));
            harness.processElement2(address("C1", "A1", 50, "a1 v1"));
            harness.processElement1(sale("S1", "C1", 150));  // waits: a version up to 150 may still come
            harness.processElement2(customer("C1", "A2", 200, "c1 v2"));  // after S1: not for it
            harness.processElement2(address("C1", "A1", 140, "a1 v2"));  // before S1, though delivered after it
            assertEquals(List.of(), joined(harness));
            snapshot = harness.snapshot(1, 1);
        }
        try (var harness = harness()) {
            harness.initializeState(snapshot);
            harness.open();
            watermark(harness, 160);
            harness.processElement1(sale("S2", "C1", 120));  // behind the watermark: joined at once
            harness.processElement1(sale("S3", "C9", 155));  // a customer never seen
            harness.processElement2(address("C1", "A2", 190, "a2 v1"));
            harness.processElement2(customer("C1", "A2", 400, "c1 v3"));
            harness.processElement2(customer("C1", "A2", 400, "c1 v3, sent again corrected"));
            harness.processElement1(sale("S4", "C1", 250));
            harness.processElement1(sale("S5", "C1", 400));
            watermark(harness, 500);
            assertEquals(List.of(
                    List.of("S1", "c1 v1", "a1 v2", 150L),
                    List.of("S2", "c1 v1", "a1 v1", 120L),
                    java.util.Arrays.asList("S3", null, null, 155L),
                    List.of("S4", "c1 v2", "a2 v1", 250L),
                    List.of("S5", "c1 v3, sent again corrected", "a2 v1", 400L)), joined(harness));
        }
    }
}
