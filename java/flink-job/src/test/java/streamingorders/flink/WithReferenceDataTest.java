package streamingorders.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.typeutils.ListTypeInfo;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;

/**
 * First delivery with reference data: a sale line passes once within the dedup window (processing
 * time) and again after it, with the item and promo rows current when it passes; a snapshot on the
 * second input replaces the one in use, and a restored operator goes on with it.
 */
class WithReferenceDataTest {
    private static final long WINDOW_MILLIS = 1_000;
    private static final RowTypeInfo SALE = new RowTypeInfo(
            new TypeInformation<?>[] {Types.LONG, Types.LONG, Types.STRING}, new String[] {"order_id", "item_id", "promo_id"});
    private static final RowTypeInfo ITEM = new RowTypeInfo(
            new TypeInformation<?>[] {Types.LONG, Types.STRING}, new String[] {"item_id", "price"});
    private static final RowTypeInfo PROMO = new RowTypeInfo(
            new TypeInformation<?>[] {Types.STRING, Types.STRING}, new String[] {"promo_id", "name"});
    private static final RowTypeInfo SNAPSHOT = new RowTypeInfo(
            new TypeInformation<?>[] {new ListTypeInfo<>(ITEM), new ListTypeInfo<>(PROMO)}, new String[] {"items", "promos"});

    private static KeyedTwoInputStreamOperatorTestHarness<String, Row, Row, Row> harness() throws Exception {
        DocumentFields items = new DocumentFields(new String[] {"item_id", "price"}, new String[] {"int", "decimal"},
                new int[] {0, 7}, new int[] {0, 2});
        DocumentFields promos = new DocumentFields(new String[] {"promo_id", "name"}, new String[] {"str", "str"},
                new int[] {0, 0}, new int[] {0, 0});
        Row first = snapshot(List.of(Row.of(1L, "9.5")), List.of(Row.of("P1", "spring")));
        WithReferenceData operator = new WithReferenceData(SALE, new FirstDelivery(WINDOW_MILLIS), SNAPSHOT, first, items, promos);
        KeySelector<Row, String> everySnapshotTheSameKey = snapshot -> "";
        return new KeyedTwoInputStreamOperatorTestHarness<>(operator, FirstDelivery.lineKey(0, 1), everySnapshotTheSameKey,
                Types.STRING);
    }

    private static Row snapshot(List<Row> items, List<Row> promos) {
        return Row.of(new ArrayList<>(items), new ArrayList<>(promos));
    }

    private static StreamRecord<Row> sale(long order, long item, String promo) {
        return new StreamRecord<>(Row.of(order, item, promo), 0);
    }

    /** (order_id, item_id, item document, promo document) of each output. */
    private static List<List<Object>> passed(KeyedTwoInputStreamOperatorTestHarness<String, Row, Row, Row> harness) {
        List<List<Object>> rows = new ArrayList<>();
        for (Row row : harness.extractOutputValues()) {
            rows.add(Arrays.asList(row.getField(0), row.getField(1), text(row.getField(3)), text(row.getField(4))));
        }
        return rows;
    }

    private static String text(Object document) {
        return document == null ? null : new String((byte[]) document, StandardCharsets.UTF_8);
    }

    @Test
    void eachSaleLinePassesOnceWithinTheWindowWithTheReferenceRowsCurrentWhenItPasses() throws Exception {
        OperatorSubtaskState snapshot;
        try (var harness = harness()) {
            harness.open();
            harness.setStateTtlProcessingTime(0);
            harness.processElement1(sale(1, 1, "P1"));
            harness.processElement1(sale(1, 1, "P1"));  // a redelivery within the window
            harness.processElement1(sale(2, 7, null));  // an item the snapshot lacks, no promo
            harness.processElement2(new StreamRecord<>(snapshot(List.of(Row.of(1L, "10.125")), List.of())));
            harness.processElement1(sale(3, 1, "P1"));  // the promo is gone from the new snapshot
            assertEquals(List.of(
                    Arrays.asList(1L, 1L, "\"item_id\":1,\"price\":9.50", "\"promo_id\":\"P1\",\"name\":\"spring\""),
                    Arrays.asList(2L, 7L, null, null),
                    Arrays.asList(3L, 1L, "\"item_id\":1,\"price\":10.13", null)), passed(harness));
            snapshot = harness.snapshot(1, 1);
        }
        try (var harness = harness()) {
            harness.initializeState(snapshot);
            harness.open();
            harness.setStateTtlProcessingTime(WINDOW_MILLIS / 2);
            harness.processElement1(sale(1, 1, "P1"));  // still within the window, after the restore
            harness.setStateTtlProcessingTime(WINDOW_MILLIS + 1);
            harness.processElement1(sale(2, 7, null));  // the window has passed: a first delivery again
            harness.processElement1(sale(4, 1, null));  // the restored snapshot, not the first one
            assertEquals(List.of(Arrays.asList(2L, 7L, null, null), Arrays.asList(4L, 1L, "\"item_id\":1,\"price\":10.13", null)),
                    passed(harness));
        }
    }
}
