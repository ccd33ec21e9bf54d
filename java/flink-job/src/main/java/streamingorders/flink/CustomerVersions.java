package streamingorders.flink;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.ListTypeInfo;
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
 * them named, as rows of (customer_id, customer, address) with one of the two set. An address
 * version reaches each of its customers here, once, so that a sale then needs one keyed step per
 * customer (customer and address as of the sale) rather than two.
 *
 * <p>Keyed by address_id, the address's kept versions ({@link KeptVersions}) and the customers
 * whose versions named it: a new customer is sent the kept versions, and every later version goes
 * to all of them. A version is dropped as superseded only once the watermark of the sales on their
 * way to the joins has passed too (a third input that brings nothing else): a customer version
 * that comes late (behind the customers' watermark) is then sent the versions that the sales after
 * it need, except for a sale that was already between that input and its join when the address
 * changed (its address is then missing: a late version is applied best effort). The output's
 * watermark is that of the addresses and customers alone, so that sales need not wait for their
 * own. An address's state (versions and customers) is forgotten after `ttlMillis` without a write
 * (0: never).
 */
public final class CustomerVersions extends AbstractStreamOperatorV2<Row> implements MultipleInputStreamOperator<Row> {
    private static final int ADDRESSES = 1;
    private static final int CUSTOMERS = 2;
    private static final int SALES = 3;

    private final RowTypeInfo addressType;
    private final int addressTime;
    private final int customerId;
    private final long ttlMillis;
    private final StreamRecord<Row> routed = new StreamRecord<>(null);
    private ValueState<Row> address;
    private long salesWatermark = Long.MIN_VALUE;

    private CustomerVersions(StreamOperatorParameters<Row> parameters, RowTypeInfo addressType,
                             RowTypeInfo customerType, long ttlMillis) {
        super(parameters, 3);
        this.addressType = addressType;
        this.addressTime = addressType.getFieldIndex(KeptVersions.TIME_FIELD);
        this.customerId = customerType.getFieldIndex("customer_id");
        this.ttlMillis = ttlMillis;
    }

    /**
     * The rows of (customer_id, customer, address) from the encoded `customers` (customer_id,
     * address_id, event_ms, ...) and `addresses` (address_id, event_ms, ...); `sales` lend only
     * their watermarks.
     */
    public static DataStream<Row> of(DataStream<Row> customers, DataStream<Row> addresses, DataStream<Row> sales,
                                     long ttlMillis) {
        RowTypeInfo customerType = (RowTypeInfo) customers.getType();
        RowTypeInfo addressType = (RowTypeInfo) addresses.getType();
        RowTypeInfo type = type(customerType, addressType);
        StreamExecutionEnvironment env = customers.getExecutionEnvironment();
        KeyedMultipleInputTransformation<Row> routing = new KeyedMultipleInputTransformation<>(
                "addresses to their customers", new Factory(addressType, customerType, ttlMillis), type,
                env.getParallelism(), Types.STRING);
        addKeyedInput(routing, addresses, new FieldKey(addressType.getFieldIndex("address_id")));
        addKeyedInput(routing, customers, new FieldKey(customerType.getFieldIndex("address_id")));
        addKeyedInput(routing, sales.<Row>flatMap((sale, none) -> {}).returns(sales.getType()).name("sales' watermarks"),
                new FieldKey(0));
        DataStream<Row> toCustomers = new MultipleConnectedStreams(env).transform(routing).uid("addresses-to-customers");
        int customerIdField = customerType.getFieldIndex("customer_id");
        return customers.map(customer -> Row.of(customer.getField(customerIdField), customer, null), type)
                .name("customer versions").union(toCustomers);
    }

    private static void addKeyedInput(KeyedMultipleInputTransformation<Row> routing, DataStream<Row> input,
                                      FieldKey key) {
        routing.addInput(input.keyBy(key, Types.STRING).getTransformation(), key);
    }

    /** (customer_id, customer, address): the row type of {@link #of}. */
    private static RowTypeInfo type(RowTypeInfo customerType, RowTypeInfo addressType) {
        return new RowTypeInfo(new TypeInformation<?>[] {Types.STRING, customerType, addressType},
                new String[] {"customer_id", "customer", "address"});
    }

    @Override
    public void open() throws Exception {
        super.open();
        combinedWatermark.updateStatus(SALES - 1, true);  // the sales' watermark never holds the output back
        RowTypeInfo stateType = new RowTypeInfo(new TypeInformation<?>[] {new ListTypeInfo<>(addressType),
                new ListTypeInfo<>(Types.STRING)}, new String[] {"versions", "customers"});
        address = getKeyedStateStore().orElseThrow()
                .getState(KeptVersions.withTtl(new ValueStateDescriptor<>("address", stateType), ttlMillis));
    }

    @Override
    @SuppressWarnings("rawtypes")
    public List<Input> getInputs() {
        return List.of(new AbstractInput<Row, Row>(this, ADDRESSES) {
            @Override
            public void processElement(StreamRecord<Row> record) throws Exception {
                addVersion(record.getValue());
            }
        }, new AbstractInput<Row, Row>(this, CUSTOMERS) {
            @Override
            public void processElement(StreamRecord<Row> record) throws Exception {
                addCustomer((String) record.getValue().getField(customerId));
            }
        }, new AbstractInput<Row, Row>(this, SALES) {
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

    @SuppressWarnings("unchecked")
    private void addVersion(Row version) throws Exception {
        Row state = current();
        long watermark = Math.min(combinedWatermark.getCombinedWatermark(), salesWatermark);
        KeptVersions.add((List<Row>) state.getField(0), version, addressTime, watermark);
        address.update(state);
        for (String customer : (List<String>) state.getField(1)) {
            output.collect(routed.replace(Row.of(customer, null, version)));
        }
    }

    @SuppressWarnings("unchecked")
    private void addCustomer(String customer) throws Exception {
        Row state = current();
        List<String> customers = (List<String>) state.getField(1);
        if (!customers.contains(customer)) {
            customers.add(customer);
            address.update(state);
            for (Row version : (List<Row>) state.getField(0)) {
                output.collect(routed.replace(Row.of(customer, null, version)));
            }
        }
    }

    private Row current() throws Exception {
        Row state = address.value();
        return state != null ? state : Row.of(new ArrayList<Row>(), new ArrayList<String>());
    }

    /** Makes the operator; package-private for a test harness. */
    static final class Factory extends AbstractStreamOperatorFactory<Row> {
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
        public <T extends StreamOperator<Row>> T createStreamOperator(StreamOperatorParameters<Row> parameters) {
            return (T) new CustomerVersions(parameters, addressType, customerType, ttlMillis);
        }

        @Override
        @SuppressWarnings("rawtypes")
        public Class<? extends StreamOperator> getStreamOperatorClass(ClassLoader classLoader) {
            return CustomerVersions.class;
        }
    }
}
