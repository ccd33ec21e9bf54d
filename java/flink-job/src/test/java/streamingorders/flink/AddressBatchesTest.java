package streamingorders.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.streaming.api.operators.StreamFlatMap;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;

/**
 * Addresses cross into Python in batches and come back one by one: a batch goes out when full,
 * when its delay is up, and before a watermark, a checkpoint barrier or the end of the input (so
 * no address is overtaken by a watermark or held across a checkpoint); its places carry what the
 * geocoder needs; the geocodes come back joined to the addresses as they were, in order.
 */
class AddressBatchesTest {
    private static final RowTypeInfo ADDRESS = new RowTypeInfo(
            new TypeInformation<?>[] {Types.STRING, Types.STRING, Types.STRING, Types.LONG},
            new String[] {"address_id", "street", "city", "event_ms"});
    private static final String[] PLACE = {"address_id", "city", "street"};

    private static OneInputStreamOperatorTestHarness<Row, Row> batches(int size, long delay) throws Exception {
        OneInputStreamOperatorTestHarness<Row, Row> harness =
                new OneInputStreamOperatorTestHarness<>(new AddressBatches(ADDRESS, PLACE, size, delay));
        harness.open();
        return harness;
    }

    private static StreamRecord<Row> address(String id, String street, long time) {
        return new StreamRecord<>(Row.of(id, street, "Springfield", time), time);
    }

    /** Each output in order: the places of a batch (with its timestamp), or "watermark N". */
    private static List<String> outputs(OneInputStreamOperatorTestHarness<Row, Row> harness) {
        List<String> out = new ArrayList<>();
        for (Object element : harness.getOutput()) {
            if (element instanceof Watermark) {
                out.add("watermark " + ((Watermark) element).getTimestamp());
            } else {
                StreamRecord<?> record = (StreamRecord<?>) element;
                out.add(((Row) record.getValue()).getField(1) + " @" + record.getTimestamp());
            }
        }
        return out;
    }

    @Test
    void aFullBatchGoesAtOnceAndTheRestBeforeTheWatermark() throws Exception {
        OneInputStreamOperatorTestHarness<Row, Row> harness = batches(2, 1_000);
        harness.processElement(address("A1", "1 Main St", 10));
        harness.processElement(address("A2", "2 \"Elm\" St", 30));
        harness.processElement(address("A3", "3 Oak St", 20));
        assertEquals(List.of("[[\"A1\",\"Springfield\",\"1 Main St\"],[\"A2\",\"Springfield\",\"2 \\\"Elm\\\" St\"]] @30"), outputs(harness));
        harness.processWatermark(new Watermark(15));
        assertEquals("[[\"A3\",\"Springfield\",\"3 Oak St\"]] @20", outputs(harness).get(1));
        assertEquals("watermark 15", outputs(harness).get(2));
    }

    @Test
    void aBatchThatDoesNotFillGoesWhenItsDelayIsUp() throws Exception {
        OneInputStreamOperatorTestHarness<Row, Row> harness = batches(100, 50);
        harness.setProcessingTime(1_000);
        harness.processElement(address("A1", "1 Main St", 10));
        harness.setProcessingTime(1_049);
        harness.processElement(address("A2", "2 Main St", 11));
        assertEquals(List.of(), outputs(harness));
        harness.setProcessingTime(1_050);
        assertEquals(1, outputs(harness).size());
        harness.setProcessingTime(5_000);  // nothing waiting: nothing more
        assertEquals(1, outputs(harness).size());
    }

    @Test
    void noAddressWaitsAcrossACheckpointOrPastTheEnd() throws Exception {
        OneInputStreamOperatorTestHarness<Row, Row> harness = batches(100, 60_000);
        harness.processElement(address("A1", "1 Main St", 10));
        harness.prepareSnapshotPreBarrier(1);
        assertEquals(1, outputs(harness).size());
        harness.processElement(address("A2", "2 Main St", 20));
        harness.endInput();
        assertEquals(2, outputs(harness).size());
    }

    @Test
    void theGeocodesComeBackJoinedToTheAddressesAsTheyWere() throws Exception {
        OneInputStreamOperatorTestHarness<Row, Row> harness = batches(3, 1_000);
        harness.processElement(address("A1", "1 Main St", 10));
        harness.processElement(address("A2", null, 20));
        harness.processElement(address("A3", "3 Oak St", 30));
        Row batch = (Row) harness.extractOutputValues().get(0);
        String geocodes = "[[40.5,-89.25,\"ok\",\"rooftop\",\"offline\"],[null,null,\"not_found\",null,null],"
                + "[null,null,\"failed\",null,null]]";
        assertEquals(List.of(
                Arrays.asList("A1", "1 Main St", "Springfield", 10L, 40.5, -89.25, "ok", "rooftop", "offline"),
                Arrays.asList("A2", null, "Springfield", 20L, null, null, "not_found", null, null),
                Arrays.asList("A3", "3 Oak St", "Springfield", 30L, null, null, "failed", null, null)),
                geocoded(Row.of(batch.getField(0), geocodes)));
    }

    @Test
    void geocodesThatDoNotMatchTheBatchAreRefused() throws Exception {
        OneInputStreamOperatorTestHarness<Row, Row> harness = batches(2, 1_000);
        harness.processElement(address("A1", "1 Main St", 10));
        harness.processElement(address("A2", "2 Main St", 20));
        Row batch = (Row) harness.extractOutputValues().get(0);
        assertThrows(IllegalStateException.class,
                () -> geocoded(Row.of(batch.getField(0), "[[null,null,\"failed\",null,null]]")));
    }

    private static List<List<Object>> geocoded(Row batch) throws Exception {
        try (OneInputStreamOperatorTestHarness<Row, Row> harness =
                new OneInputStreamOperatorTestHarness<>(new StreamFlatMap<>(new GeocodedAddresses(ADDRESS)))) {
            harness.open();
            harness.processElement(new StreamRecord<>(batch, 30));
            List<List<Object>> rows = new ArrayList<>();
            for (Row row : harness.extractOutputValues()) {
                List<Object> fields = new ArrayList<>();
                for (int i = 0; i < row.getArity(); i++) {
                    fields.add(row.getField(i));
                }
                rows.add(fields);
            }
            return rows;
        }
    }
}
