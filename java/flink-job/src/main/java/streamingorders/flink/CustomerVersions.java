package streamingorders.flink;

import java.util.List;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.MultipleConnectedStreams;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.AbstractInput;
import org.apache.flink.streaming.api.operators.AbstractStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.AbstractStreamOperatorV2;
import org.apache.flink.streaming.api.operators.Input;
import org.apache.flink.streaming.api.operators.MultipleInputStreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.api.transformations.KeyedMultipleInputTransformation;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.types.Row;

/**
 * What CustomerAsOf keeps of each customer: its versions and the versions of every address any of
 * them named, as {@link RoutedVersion}s to the customer. An address
 * version reaches each of its customers here, once, so that a sale then needs one keyed step per
 * customer (customer and address as of the sale) rather than two.
 *
 * <p>Keyed by address_id, an {@link AddressHistory}: the address's kept versions ({@link KeptVersions})
 * and the customers whose versions named it. A new customer is sent the kept versions, and every later version goes
 * to all of them. A version is dropped as superseded only once the watermark of the sales on their
 * way to the joins has passed too (a third input that brings nothing else): a customer version
 * that comes late (behind the customers' watermark) is then sent the versions that the sales after
 * it need, except for a sale that was already between that input and its join when the address
 * changed (its address is then missing: a late version is applied best effort). The output's
 * watermark is that of the addresses and customers alone, so that sales need not wait for their
 * own. An address's state (versions and customers) is forgotten after `ttlMillis` without a write
 * (0: never).
 */
public final class CustomerVersions extends AbstractStreamOperatorV2<RoutedVersion>
        implements MultipleInputStreamOperator<RoutedVersion> {
    private static final int ADDRESSES = 1;
    private static final int CUSTOMERS = 2;
    private static final int SALES = 3;

    private final Version.FromRow addressVersion;
    private final int customerId;
    private final long ttlMillis;
    private final StreamRecord<RoutedVersion> routed = new StreamRecord<>(null);
    private ValueState<AddressHistory> history;
    private long salesWatermark = Long.MIN_VALUE;

    private CustomerVersions(StreamOperatorParameters<RoutedVersion> parameters, RowTypeInfo addressType,
                             RowTypeInfo customerType, long ttlMillis) {
        super(parameters, 3);
        this.addressVersion = new Version.FromRow(addressType);
        this.customerId = DocumentFields.position(customerType, "customer_id");
        this.ttlMillis = ttlMillis;
    }

    /**
     * The versions of the encoded `customers` (customer_id, address_id, event_ms, document) and
     * `addresses` (address_id, event_ms, document), each to the customers it is for; `sales` lend
     * only their watermarks.
     */
    public static DataStream<RoutedVersion> of(DataStream<Row> customers, DataStream<Row> addresses,
                                               DataStream<Row> sales, long ttlMillis) {
        RowTypeInfo customerType = (RowTypeInfo) customers.getType();
        RowTypeInfo addressType = (RowTypeInfo) addresses.getType();
        StreamExecutionEnvironment env = customers.getExecutionEnvironment();
        KeyedMultipleInputTransformation<RoutedVersion> routing = new KeyedMultipleInputTransformation<>(
                "addresses to their customers", new Factory(addressType, customerType, ttlMillis), RoutedVersion.TYPE,
                env.getParallelism(), Types.STRING);
        addKeyedInput(routing, addresses, new FieldKey(DocumentFields.position(addressType, "address_id")));
        addKeyedInput(routing, customers, new FieldKey(DocumentFields.position(customerType, "address_id")));
        addKeyedInput(routing, sales.<Row>flatMap((sale, none) -> {}).returns(sales.getType()).name("sales' watermarks"),
                new FieldKey(0));
        DataStream<RoutedVersion> toCustomers = new MultipleConnectedStreams(env).transform(routing)
                .uid("addresses-to-customers");
        int customerIdField = DocumentFields.position(customerType, "customer_id");
        Version.FromRow customerVersion = new Version.FromRow(customerType);
        return customers.map(customer -> RoutedVersion.ofCustomer((String) customer.getField(customerIdField),
                        customerVersion.of(customer)), RoutedVersion.TYPE)
                .name("customer versions").union(toCustomers);
    }

    private static void addKeyedInput(KeyedMultipleInputTransformation<RoutedVersion> routing, DataStream<Row> input,
                                      FieldKey key) {
        routing.addInput(input.keyBy(key, Types.STRING).getTransformation(), key);
    }

    @Override
    public void open() throws Exception {
        super.open();
        combinedWatermark.updateStatus(SALES - 1, true);  // the sales' watermark never holds the output back
        history = getKeyedStateStore().orElseThrow()
                .getState(KeptVersions.withTtl(new ValueStateDescriptor<>("address", AddressHistory.TYPE), ttlMillis));
    }

    @Override
    @SuppressWarnings("rawtypes")
    public List<Input> getInputs() {
        return List.of(new AbstractInput<Row, RoutedVersion>(this, ADDRESSES) {
            @Override
            public void processElement(StreamRecord<Row> record) throws Exception {
                addVersion(addressVersion.of(record.getValue()));
            }
        }, new AbstractInput<Row, RoutedVersion>(this, CUSTOMERS) {
            @Override
            public void processElement(StreamRecord<Row> record) throws Exception {
                addCustomer((String) record.getValue().getField(customerId));
            }
        }, new AbstractInput<Row, RoutedVersion>(this, SALES) {
            @Override
            public void processElement(StreamRecord<Row> record) {}  // none come

            @Override
            public void processWatermark(Watermark mark) {
                salesWatermark = Math.max(salesWatermark, mark.getTimestamp());
            }

            @Override
            public void processWatermarkStatus(WatermarkStatus status) {}
        });
    }

    private void addVersion(Version version) throws Exception {
        AddressHistory address = current();
        long watermark = Math.min(combinedWatermark.getCombinedWatermark(), salesWatermark);
        KeptVersions.add(address.versions, version, watermark);
        history.update(address);
        for (String customer : address.customers) {
            output.collect(routed.replace(RoutedVersion.ofAddress(customer, version)));
        }
    }

    private void addCustomer(String customer) throws Exception {
        AddressHistory address = current();
        if (!address.customers.contains(customer)) {
            address.customers.add(customer);
            history.update(address);
            for (Version version : address.versions) {
                output.collect(routed.replace(RoutedVersion.ofAddress(customer, version)));
            }
        }
    }

    private AddressHistory current() throws Exception {
        AddressHistory address = history.value();
        return address != null ? address : new AddressHistory();
    }

    /** Makes the operator; package-private for a test harness. */
    static final class Factory extends AbstractStreamOperatorFactory<RoutedVersion> {
        private final RowTypeInfo addressType;
        private final RowTypeInfo customerType;
        private final long ttlMillis;

        Factory(RowTypeInfo addressType, RowTypeInfo customerType, long ttlMillis) {
            this.addressType = addressType;
            this.customerType = customerType;
            this.ttlMillis = ttlMillis;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T extends StreamOperator<RoutedVersion>> T createStreamOperator(
                StreamOperatorParameters<RoutedVersion> parameters) {
            return (T) new CustomerVersions(parameters, addressType, customerType, ttlMillis);
        }

        @Override
        @SuppressWarnings("rawtypes")
        public Class<? extends StreamOperator> getStreamOperatorClass(ClassLoader classLoader) {
            return CustomerVersions.class;
        }
    }
}
