package streamingorders.flink;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.typeutils.ListTypeInfo;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.types.Row;

/**
 * The event-time as-of join of docs/contract.md §4 for one of a sale's customers: the version of the
 * customer with the greatest time at or before the sale's, and the version of that customer
 * version's address at or before the sale's time (a tie goes to the later delivery), or nulls when
 * there is none. The output is the sale's fields followed by the two versions' `document`s, in the
 * columns {@link Columns#customerDocument} and {@link Columns#addressDocument} of the party (the order document's
 * member for that customer: bill_customer, ship_customer), with the sale's time as its timestamp.
 *
 * <p>Keyed by customer, it keeps a {@link CustomerHistory}: the customer's versions and those of its
 * addresses, both as {@link KeptVersions}, from {@link CustomerVersions}: one state read per sale. A sale
 * waits in state until the versions' watermark has passed its time, since a version up to the
 * out-of-orderness bound older may still be on its way. A sale whose time the versions'
 * watermark has already passed (a backlog being caught up, or a late sale) is joined at once: this
 * is what makes it cheaper than Flink SQL's temporal join, which waits for the watermark of both
 * inputs and walks RocksDB iterators for every row. When the versions input is idle the combined
 * watermark releases the waiting sales, as in Flink SQL. A version is dropped as superseded only
 * once the sales' own watermark has passed it too, the last one they sent also while they are idle:
 * sales that come after an idle spell (a Kinesis shard still reading its backlog when its reader was
 * declared idle) then still find the versions of their time.
 *
 * <p>A sale whose customer is the one an earlier join of the sale already found (most sales are
 * shipped to the customer who pays) takes that join's documents: they are the same versions, from
 * the same rows of CustomerVersions, and the earlier join has already waited for them.
 *
 * <p>A TTL (`ttlMillis` > 0, processing time) forgets a customer whose versions and addresses'
 * versions were not written for that long.
 */
public final class CustomerAsOf extends AbstractStreamOperator<Row>
        implements TwoInputStreamOperator<Row, RoutedVersion, Row>, Triggerable<String, VoidNamespace> {
    private static final TypeInformation<?> DOCUMENT_TYPE = Types.PRIMITIVE_ARRAY(Types.BYTE);

    private final RowTypeInfo saleType;
    private final int saleCustomer;
    private final int[] earlier;  // the earlier join's customer key and documents in the sale; null: none
    private final int saleTime;
    private final long ttlMillis;
    private transient ValueState<CustomerHistory> history;
    private transient MapState<Long, List<Row>> waiting;
    private transient InternalTimerService<VoidNamespace> timers;
    private transient StreamRecord<Row> joined;
    private transient long versionsWatermark;
    private transient long salesWatermark;

    /** The operator alone (see {@link #of}), for a test harness. */
    CustomerAsOf(RowTypeInfo saleType, String customerKey, String[] earlierJoin, long ttlMillis) {
        this.saleType = saleType;
        this.saleCustomer = DocumentFields.position(saleType, customerKey);
        this.earlier = earlierJoin == null ? null : DocumentFields.positions(saleType, earlierJoin[1],
                Columns.customerDocument(earlierJoin[0]), Columns.addressDocument(earlierJoin[0]));
        this.saleTime = DocumentFields.position(saleType, Columns.EVENT_MS);
        this.ttlMillis = ttlMillis;
    }

    /**
     * `sales` joined on their field `customerKey` to the customer and its address of `versions`
     * (from {@link CustomerVersions}), as of the sales' `event_ms`, for `party`, which names the
     * operator, its state (uid) and the two columns it adds. `earlierJoin`, when not null, is the
     * party and customer key of a join the sales have been through: where its customer is this
     * one, its documents are taken.
     */
    public static DataStream<Row> of(DataStream<Row> sales, String party, String customerKey,
                                     DataStream<RoutedVersion> versions, long ttlMillis, String[] earlierJoin) {
        CustomerAsOf join = new CustomerAsOf((RowTypeInfo) sales.getType(), customerKey, earlierJoin, ttlMillis);
        return sales.connect(versions)
                .keyBy(join.saleKey(), versionKey(), Types.STRING)
                .transform("as-of join " + party, join.outputType(party), join)
                .uid("as-of-join-" + party);
    }

    /** The sales' key: their customer. */
    KeySelector<Row, String> saleKey() {
        return new FieldKey(saleCustomer);
    }

    /** The versions' key: the customer they are for. */
    static KeySelector<RoutedVersion, String> versionKey() {
        return routed -> routed.customerId;
    }

    private RowTypeInfo outputType(String party) {
        int arity = saleType.getArity();
        TypeInformation<?>[] types = Arrays.copyOf(saleType.getFieldTypes(), arity + 2);
        String[] names = Arrays.copyOf(saleType.getFieldNames(), arity + 2);
        types[arity] = DOCUMENT_TYPE;
        names[arity] = Columns.customerDocument(party);
        types[arity + 1] = DOCUMENT_TYPE;
        names[arity + 1] = Columns.addressDocument(party);
        return new RowTypeInfo(types, names);
    }

    @Override
    public void open() throws Exception {
        super.open();
        history = getKeyedStateStore().getState(
                KeptVersions.withTtl(new ValueStateDescriptor<>("party", CustomerHistory.TYPE), ttlMillis));
        // No TTL: a waiting sale leaves when its timer fires, never by expiry.
        waiting = getKeyedStateStore().getMapState(new MapStateDescriptor<>("waiting", Types.LONG, new ListTypeInfo<>(saleType)));
        timers = getInternalTimerService("waiting rows", VoidNamespaceSerializer.INSTANCE, this);
        joined = new StreamRecord<>(null);
        versionsWatermark = Long.MIN_VALUE;
        salesWatermark = Long.MIN_VALUE;
    }

    @Override
    public void processElement1(StreamRecord<Row> record) throws Exception {
        Row sale = record.getValue();
        long time = (Long) sale.getField(saleTime);
        if (earlier != null && sale.getField(saleCustomer).equals(sale.getField(earlier[0]))) {
            emit(sale, Row.of(sale.getField(earlier[1]), sale.getField(earlier[2])), time);
        } else if (time <= versionsWatermark) {
            emit(sale, documentsAsOf(time), time);
        } else {
            List<Row> atTime = waiting.get(time);
            if (atTime == null) {
                atTime = new ArrayList<>(1);
                timers.registerEventTimeTimer(VoidNamespace.INSTANCE, time);
            }
            atTime.add(sale);
            waiting.put(time, atTime);
        }
    }

    @Override
    public void processElement2(StreamRecord<RoutedVersion> record) throws Exception {
        CustomerHistory customer = history.value();
        if (customer == null) {
            customer = new CustomerHistory();
        }
        RoutedVersion routed = record.getValue();
        long watermark = Math.min(timers.currentWatermark(), salesWatermark);
        List<Version> kept = routed.ofAddress
                ? customer.addresses.computeIfAbsent(routed.version.addressId, id -> new ArrayList<>())
                : customer.versions;
        KeptVersions.add(kept, routed.version, watermark);
        history.update(customer);
    }

    @Override
    public void processWatermark1(Watermark mark) throws Exception {
        salesWatermark = Math.max(salesWatermark, mark.getTimestamp());
        super.processWatermark1(mark);
    }

    @Override
    public void processWatermark2(Watermark mark) throws Exception {
        versionsWatermark = Math.max(versionsWatermark, mark.getTimestamp());
        super.processWatermark2(mark);
    }

    @Override
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        long time = timer.getTimestamp();
        Row documents = documentsAsOf(time);
        for (Row sale : waiting.get(time)) {
            emit(sale, documents, time);
        }
        waiting.remove(time);
    }

    @Override
    public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) {}

    /** (the customer's document, its address's document) as of `time`; null where there is none. */
    private Row documentsAsOf(long time) throws Exception {
        CustomerHistory customer = history.value();
        Version version = customer == null ? null : KeptVersions.asOf(customer.versions, time);
        if (version == null) {
            return new Row(2);
        }
        Version address = KeptVersions.asOf(customer.addresses.get(version.addressId), time);
        return Row.of(version.document, address == null ? null : address.document);
    }

    private void emit(Row sale, Row documents, long time) {
        output.collect(joined.replace(Row.join(sale, documents), time));
    }
}
