package streamingorders.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedMultiInputStreamOperatorTestHarness;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;

/**
 * The address fan-out: each address version goes once to every customer whose versions named the
 * address, a customer naming it later is sent the versions kept, and a version is dropped as
 * superseded only once the sales' watermark has passed too; the output's watermark is that of the
 * addresses and customers alone.
 */
class CustomerVersionsTest {
    private static final int ADDRESSES = 0;
    private static final int CUSTOMERS = 1;
    private static final int SALES = 2;
    private static final RowTypeInfo CUSTOMER = new RowTypeInfo(
            new TypeInformation<?>[] {Types.STRING, Types.STRING, Types.LONG, Types.PRIMITIVE_ARRAY(Types.BYTE)},
            new String[] {"customer_id", "address_id", "event_ms", "document"});
    private static final RowTypeInfo ADDRESS = new RowTypeInfo(
            new TypeInformation<?>[] {Types.STRING, Types.LONG, Types.PRIMITIVE_ARRAY(Types.BYTE)},
            new String[] {"address_id", "event_ms", "document"});

    private static KeyedMultiInputStreamOperatorTestHarness<String, RoutedVersion> harness() throws Exception {
        var harness = new KeyedMultiInputStreamOperatorTestHarness<String, RoutedVersion>(
                new CustomerVersions.Factory(ADDRESS, CUSTOMER, 0), Types.STRING);
        harness.setKeySelector(ADDRESSES, new FieldKey(0));
        harness.setKeySelector(CUSTOMERS, new FieldKey(1));
        harness.setKeySelector(SALES, new FieldKey(0));
        return harness;
    }

    private static void address(KeyedMultiInputStreamOperatorTestHarness<String, RoutedVersion> harness, long time,
                                String document) throws Exception {
        harness.processElement(ADDRESSES, new StreamRecord<>(Row.of("A1", time, bytes(document)), time));
    }

    private static void customer(KeyedMultiInputStreamOperatorTestHarness<String, RoutedVersion> harness, String id,
                                 long time) throws Exception {
        harness.processElement(CUSTOMERS, new StreamRecord<>(Row.of(id, "A1", time, bytes(id + " at " + time)), time));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** "customer <- address document" of each routed row since the last call, and the watermarks. */
    private static List<String> routed(KeyedMultiInputStreamOperatorTestHarness<String, RoutedVersion> harness) {
        List<String> routed = new ArrayList<>();
        for (Object element : harness.getOutput()) {
            if (element instanceof Watermark) {
                routed.add("watermark " + ((Watermark) element).getTimestamp());
            } else {
                RoutedVersion version = (RoutedVersion) ((StreamRecord<?>) element).getValue();
                assertTrue(version.ofAddress);
                assertEquals("A1", version.version.addressId);
                routed.add(version.customerId + " <- " + new String(version.version.document, StandardCharsets.UTF_8));
            }
        }
        harness.getOutput().clear();
        return routed;
    }

    @Test
    void eachAddressVersionReachesEachOfItsCustomersOnce() throws Exception {
        try (var harness = harness()) {
            harness.open();
            address(harness, 10, "A1 v1");
            assertEquals(List.of(), routed(harness));  // no customer named it yet
            customer(harness, "C1", 15);
            address(harness, 20, "A1 v2");
            customer(harness, "C2", 25);
            customer(harness, "C1", 30);  // C1 again: it has the versions already
            assertEquals(List.of("C1 <- A1 v1", "C1 <- A1 v2", "C2 <- A1 v1", "C2 <- A1 v2"), routed(harness));

            harness.processWatermark(ADDRESSES, new Watermark(100));
            harness.processWatermark(CUSTOMERS, new Watermark(100));
            assertEquals(List.of("watermark 100"), routed(harness));  // the sales' watermark holds nothing back
            address(harness, 150, "A1 v3");
            customer(harness, "C3", 160);  // v1 is kept: the sales have not passed v2 yet
            assertEquals(List.of("C1 <- A1 v3", "C2 <- A1 v3", "C3 <- A1 v1", "C3 <- A1 v2", "C3 <- A1 v3"), routed(harness));

            harness.processWatermark(SALES, new Watermark(100));
            address(harness, 170, "A1 v4");  // now v1 is superseded for every sale to come
            customer(harness, "C4", 180);
            assertEquals(List.of("C1 <- A1 v4", "C2 <- A1 v4", "C3 <- A1 v4", "C4 <- A1 v2", "C4 <- A1 v3", "C4 <- A1 v4"),
                    routed(harness));
        }
    }
}
