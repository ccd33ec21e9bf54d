package streamingorders.flink;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.typeutils.ListTypeInfo;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.types.Row;

/**
 * The first delivery of each sale line (FirstDelivery: redeliveries within the dedup window are
 * dropped) with the reference rows current when it passes (docs/contract.md §4: reference data is not
 * versioned in time): the sale's fields, then `item_document` and `promo_document`, its item's and
 * its promo's parts of the order document (the fields as JSON object members, DocumentFields),
 * null where there is none. Each snapshot is encoded once, when it comes into use. One operator,
 * keyed by sale line, does both: the sale lines cross the network once instead of twice.
 *
 * <p>The job starts with the snapshot the client read (so no sale waits for Python to start), and
 * each snapshot on the second input, rows of (items, promos) from the Python loader
 * (flink_app/reference_snapshots.py), replaces the one in use. The one in use is kept in broadcast
 * state, so that a restored job goes on with it until the loader's next refresh. Snapshots carry
 * no event time: their watermarks are ignored.
 */
public final class WithReferenceData extends AbstractStreamOperator<Row> implements TwoInputStreamOperator<Row, Row, Row> {
    private static final String CURRENT = "current";

    private final RowTypeInfo snapshotType;
    private final RowTypeInfo saleType;
    private final Row firstSnapshot;
    private final DocumentFields itemFields;
    private final DocumentFields promoFields;
    private final int itemId;
    private final int promoId;
    private final FirstDelivery firstDelivery;
    private transient BroadcastState<String, Row> current;
    private transient Map<Object, byte[]> items;
    private transient Map<Object, byte[]> promos;

    /** The operator alone (see {@link #of}), for a test harness. */
    WithReferenceData(RowTypeInfo saleType, FirstDelivery firstDelivery, RowTypeInfo snapshotType,
                      Row firstSnapshot, DocumentFields itemFields, DocumentFields promoFields) {
        this.firstDelivery = firstDelivery;
        this.saleType = saleType;
        this.snapshotType = snapshotType;
        this.firstSnapshot = firstSnapshot;
        this.itemFields = itemFields;
        this.promoFields = promoFields;
        this.itemId = saleType.getFieldIndex("item_id");
        this.promoId = saleType.getFieldIndex("promo_id");
    }

    /**
     * The first delivery within `dedupWindowMillis` of each of `sales`' lines, with the reference
     * rows of `firstSnapshot` (JSON: {"items": [[field, ...], ...], "promos": [...]}, fields in the
     * order of `snapshots`' row types), then of the latest of `snapshots`; `itemFields` and
     * `promoFields` describe the tables' rows.
     */
    public static DataStream<Row> of(DataStream<Row> sales, long dedupWindowMillis, DataStream<Row> snapshots,
                                     String firstSnapshot, DocumentFields itemFields, DocumentFields promoFields)
            throws Exception {
        RowTypeInfo saleType = (RowTypeInfo) sales.getType();
        RowTypeInfo snapshotType = (RowTypeInfo) snapshots.getType();
        WithReferenceData operator = new WithReferenceData(saleType, new FirstDelivery(dedupWindowMillis),
                snapshotType, snapshotFromJson(firstSnapshot, snapshotType), itemFields, promoFields);
        KeySelector<Row, String> line = FirstDelivery.lineKey(saleType.getFieldIndex("order_id"),
                saleType.getFieldIndex("item_id"));
        return sales.keyBy(line, Types.STRING).connect(snapshots.broadcast())
                .transform("first delivery of each sale line, with reference data", operator.outputType(), operator)
                .uid("first-delivery-reference-data");
    }

    /** The ticks 0, 1, 2, ... one every `refreshMillis`, tick 0 at once. */
    public static DataStream<Long> refreshTicks(StreamExecutionEnvironment env, long refreshMillis) {
        DataGeneratorSource<Long> ticks = new DataGeneratorSource<>(index -> index, Long.MAX_VALUE,
                RateLimiterStrategy.perSecond(1000.0 / refreshMillis), Types.LONG);
        return env.fromSource(ticks, WatermarkStrategy.noWatermarks(), "reference refresh ticks")
                .setParallelism(1).uid("reference-refresh-ticks");
    }

    /** No snapshots: a bounded job keeps the one it starts with. */
    public static DataStream<Row> noRefreshes(StreamExecutionEnvironment env, RowTypeInfo snapshotType) {
        FlatMapFunction<Long, Row> nothing = (tick, out) -> {};
        return env.fromSequence(0, 0).flatMap(nothing).returns(snapshotType).name("no reference refreshes");
    }

    private static Row snapshotFromJson(String json, RowTypeInfo snapshotType) throws Exception {
        JsonNode document = new ObjectMapper().readTree(json);
        Row snapshot = new Row(snapshotType.getArity());
        for (int table = 0; table < snapshotType.getArity(); table++) {
            RowTypeInfo rowType = tableType(snapshotType, table);
            List<Row> rows = new ArrayList<>();
            for (JsonNode values : document.get(snapshotType.getFieldNames()[table])) {
                Row row = new Row(rowType.getArity());
                for (int i = 0; i < rowType.getArity(); i++) {
                    JsonNode value = values.get(i);
                    if (!value.isNull()) {
                        row.setField(i, rowType.getTypeAt(i).equals(Types.LONG) ? (Object) value.longValue() : value.textValue());
                    }
                }
                rows.add(row);
            }
            snapshot.setField(table, rows);
        }
        return snapshot;
    }

    private RowTypeInfo outputType() {
        int arity = saleType.getArity() + 2;
        TypeInformation<?>[] types = Arrays.copyOf(saleType.getFieldTypes(), arity);
        String[] names = Arrays.copyOf(saleType.getFieldNames(), arity);
        types[arity - 2] = Types.PRIMITIVE_ARRAY(Types.BYTE);
        types[arity - 1] = Types.PRIMITIVE_ARRAY(Types.BYTE);
        names[arity - 2] = Columns.ITEM_DOCUMENT;
        names[arity - 1] = Columns.PROMO_DOCUMENT;
        return new RowTypeInfo(types, names);
    }

    /** The row type of the snapshot's table at `position` (0: items, 1: promos). */
    private static RowTypeInfo tableType(RowTypeInfo snapshotType, int position) {
        TypeInformation<?> table = snapshotType.getTypeAt(position);
        return (RowTypeInfo) ((ListTypeInfo<?>) table).getElementTypeInfo();
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        current = context.getOperatorStateStore().getBroadcastState(
                new MapStateDescriptor<>("reference snapshot", Types.STRING, snapshotType));
        Row restored = current.get(CURRENT);
        use(restored != null ? restored : firstSnapshot);
    }

    @Override
    public void open() throws Exception {
        super.open();
        firstDelivery.open(getRuntimeContext());
    }

    @Override
    public void processElement1(StreamRecord<Row> record) throws IOException {
        if (!firstDelivery.isFirst()) {
            return;
        }
        Row sale = record.getValue();
        Object promo = sale.getField(promoId);
        Row documents = Row.of(items.get(sale.getField(itemId)), promo == null ? null : promos.get(promo));
        output.collect(record.replace(Row.join(sale, documents)));
    }

    @Override
    public void processElement2(StreamRecord<Row> record) throws Exception {
        use(record.getValue());
        current.put(CURRENT, record.getValue());
    }

    @SuppressWarnings("unchecked")
    private void use(Row snapshot) throws IOException {
        items = encodedByKey((List<Row>) snapshot.getField(0), itemFields, tableType(snapshotType, 0));
        promos = encodedByKey((List<Row>) snapshot.getField(1), promoFields, tableType(snapshotType, 1));
    }

    private static Map<Object, byte[]> encodedByKey(List<Row> rows, DocumentFields fields, RowTypeInfo rowType)
            throws IOException {
        int[] positions = fields.positionsIn(rowType);
        JsonMembers members = new JsonMembers();
        Map<Object, byte[]> byKey = new HashMap<>();
        for (Row row : rows) {
            fields.write(members.start(), row, positions);
            byKey.put(row.getField(0), members.end());
        }
        return byKey;
    }

    @Override
    public void processWatermark1(Watermark mark) throws Exception {
        super.processWatermark(mark);
    }

    @Override
    public void processWatermark2(Watermark mark) {}

    @Override
    protected void processWatermarkStatus(WatermarkStatus status, int index) {
        if (index == 0) {
            output.emitWatermarkStatus(status);
        }
    }
}
