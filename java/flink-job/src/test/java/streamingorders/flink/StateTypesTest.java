package streamingorders.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * The joins' state and the versions between them are POJOs that Flink serializes field by field,
 * with no generic (Kryo) type anywhere inside: a serializer for them can be made with generic types
 * disabled, and what it writes reads back the same.
 */
class StateTypesTest {
    private static <T> T roundTrip(TypeInformation<T> type, T value) throws Exception {
        assertInstanceOf(PojoTypeInfo.class, type);
        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false);
        TypeSerializer<T> serializer = type.createSerializer(config);
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(value, out);
        return serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    }

    private static Version version(long time, String address) {
        return new Version(time, address, (address + " at " + time).getBytes(StandardCharsets.UTF_8));
    }

    private static void assertSame(Version expected, Version actual) {
        assertEquals(expected.time, actual.time);
        assertEquals(expected.addressId, actual.addressId);
        assertArrayEquals(expected.document, actual.document);
    }

    @Test
    void aCustomersHistoryReadsBackAsItWasWritten() throws Exception {
        CustomerHistory history = new CustomerHistory();
        history.versions.add(version(10, "A1"));
        history.versions.add(version(20, "A2"));
        history.addresses.put("A1", List.of(version(5, "A1")));
        history.addresses.put("A2", List.of(version(7, "A2"), version(15, "A2")));

        CustomerHistory read = roundTrip(CustomerHistory.TYPE, history);
        assertEquals(2, read.versions.size());
        assertSame(history.versions.get(1), read.versions.get(1));
        assertEquals(history.addresses.keySet(), read.addresses.keySet());
        assertSame(history.addresses.get("A2").get(1), read.addresses.get("A2").get(1));
        read.versions.add(version(30, "A1"));  // state read back can be added to
        read.addresses.get("A2").add(version(25, "A2"));
    }

    @Test
    void anAddressHistoryAndARoutedVersionReadBackAsTheyWereWritten() throws Exception {
        AddressHistory history = new AddressHistory();
        history.versions.add(version(10, "A1"));
        history.customers.add("C1");
        AddressHistory read = roundTrip(AddressHistory.TYPE, history);
        assertSame(history.versions.get(0), read.versions.get(0));
        assertEquals(List.of("C1"), read.customers);
        read.customers.add("C2");

        RoutedVersion routed = roundTrip(RoutedVersion.TYPE, RoutedVersion.ofAddress("C1", version(10, "A1")));
        assertEquals("C1", routed.customerId);
        assertEquals(true, routed.ofAddress);
        assertSame(version(10, "A1"), routed.version);
    }
}
