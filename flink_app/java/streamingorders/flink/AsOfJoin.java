package streamingorders.flink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
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
 * The event-time as-of join of CONTRACT.md §4: each row is joined to the version of its key with
 * the greatest time at or before the row's time (a tie goes to the later delivery), or to nulls
 * when there is none. The output is the row's fields followed by the version's, named
 * `prefix_field`, with the row's time as its timestamp.
 *
 * <p>A row waits in state until the versions' watermark has passed its time, since a version up to
 * the out-of-orderness bound older may still be on its way. A row whose time the versions'
 * watermark has already passed (a backlog being caught up, or a late row) is joined at once: this
 * is what makes it cheaper than Flink SQL's temporal join, which waits for the watermark of both
 * inputs and walks RocksDB iterators for every row. When the versions input is idle the combined
 * watermark releases the waiting rows, as in Flink SQL.
 *
 * <p>A key's versions are kept oldest first; those superseded before the watermark are dropped
 * when a new version arrives, so a late row sees at best the version current at the watermark. A
 * TTL (`ttlMillis` > 0, processing time) forgets a key whose versions were not written for that
 * long.
 */
public final class AsOfJoin extends AbstractStreamOperator<Row>
        implements TwoInputStreamOperator<Row, Row, Row>, Triggerable<String, VoidNamespace> {
    private static final String TIME_FIELD = "event_ms";

    private final RowTypeInfo rowType;
    private final RowTypeInfo versionType;
    private final int rowKey;
    private final int rowTime;
    private final int versionTime;
    private final long ttlMillis;
    private transient ValueState<List<Row>> versions;
    private transient MapState<Long, List<Row>> waiting;
    private transient InternalTimerService<VoidNamespace> timers;
    private transient StreamRecord<Row> joined;
    private transient Row noVersion;
    private transient long versionsWatermark;

    private AsOfJoin(RowTypeInfo rowType, String rowKeyField, RowTypeInfo versionType, long ttlMillis) {
        this.rowType = rowType;
        this.versionType = versionType;
        this.rowKey = rowType.getFieldIndex(rowKeyField);
        this.rowTime = rowType.getFieldIndex(TIME_FIELD);
        this.versionTime = versionType.getFieldIndex(TIME_FIELD);
        this.ttlMillis = ttlMillis;
    }

    /**
     * `rows` joined on their field `rowKeyField` to `versions` on `versionKeyField`, as of the
     * rows' `event_ms`; `name` names the operator, its state (uid) and the prefix of the version's
     * fields in the output.
     */
    public static DataStream<Row> of(DataStream<Row> rows, String rowKeyField, DataStream<Row> versions,
                                     String versionKeyField, String name, long ttlMillis) {
        RowTypeInfo rowType = (RowTypeInfo) rows.getType();
        RowTypeInfo versionType = (RowTypeInfo) versions.getType();
        AsOfJoin join = new AsOfJoin(rowType, rowKeyField, versionType, ttlMillis);
        return rows.connect(versions)
                .keyBy(new FieldKey(rowType.getFieldIndex(rowKeyField)),
                        new FieldKey(versionType.getFieldIndex(versionKeyField)), Types.STRING)
                .transform("as-of join " + name, join.outputType(name), join)
                .uid("as-of-join-" + name);
    }

    private RowTypeInfo outputType(String prefix) {
        int rowArity = rowType.getArity();
        int arity = rowArity + versionType.getArity();
        TypeInformation<?>[] types = new TypeInformation<?>[arity];
        String[] names = new String[arity];
        for (int i = 0; i < arity; i++) {
            boolean own = i < rowArity;
            types[i] = own ? rowType.getTypeAt(i) : versionType.getTypeAt(i - rowArity);
            names[i] = own ? rowType.getFieldNames()[i] : prefix + "_" + versionType.getFieldNames()[i - rowArity];
        }
        return new RowTypeInfo(types, names);
    }

    @Override
    public void open() throws Exception {
        super.open();
        ValueStateDescriptor<List<Row>> versionsDescriptor = new ValueStateDescriptor<>("versions", new ListTypeInfo<>(versionType));
        if (ttlMillis > 0) {
            versionsDescriptor.enableTimeToLive(StateTtlConfig.newBuilder(Duration.ofMillis(ttlMillis))
                    .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                    .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                    .build());
        }
        versions = getKeyedStateStore().getState(versionsDescriptor);
        // No TTL: a waiting row leaves when its timer fires, never by expiry.
        waiting = getKeyedStateStore().getMapState(new MapStateDescriptor<>("waiting", Types.LONG, new ListTypeInfo<>(rowType)));
        timers = getInternalTimerService("waiting rows", VoidNamespaceSerializer.INSTANCE, this);
        joined = new StreamRecord<>(null);
        noVersion = new Row(versionType.getArity());
        versionsWatermark = Long.MIN_VALUE;
    }

    @Override
    public void processElement1(StreamRecord<Row> record) throws Exception {
        Row row = record.getValue();
        long time = (Long) row.getField(rowTime);
        if (row.getField(rowKey) == null) {
            emit(row, null, time);
        } else if (time <= versionsWatermark) {
            emit(row, versionAsOf(time), time);
        } else {
            List<Row> atTime = waiting.get(time);
            if (atTime == null) {
                atTime = new ArrayList<>(1);
                timers.registerEventTimeTimer(VoidNamespace.INSTANCE, time);
            }
            atTime.add(row);
            waiting.put(time, atTime);
        }
    }

    @Override
    public void processElement2(StreamRecord<Row> record) throws Exception {
        Row version = record.getValue();
        long time = timeOf(version);
        List<Row> kept = Objects.requireNonNullElseGet(versions.value(), ArrayList::new);
        int position = kept.size();
        while (position > 0 && timeOf(kept.get(position - 1)) > time) {
            position--;
        }
        kept.add(position, version);
        int current = kept.size() - 1;  // the version current at the watermark: older ones serve only late rows
        while (current > 0 && timeOf(kept.get(current)) > timers.currentWatermark()) {
            current--;
        }
        kept.subList(0, current).clear();
        versions.update(kept);
    }

    @Override
    public void processWatermark2(Watermark mark) throws Exception {
        versionsWatermark = Math.max(versionsWatermark, mark.getTimestamp());
        super.processWatermark2(mark);
    }

    @Override
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        long time = timer.getTimestamp();
        Row version = versionAsOf(time);
        for (Row row : waiting.get(time)) {
            emit(row, version, time);
        }
        waiting.remove(time);
    }

    @Override
    public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) {}

    private Row versionAsOf(long time) throws Exception {
        List<Row> kept = versions.value();
        if (kept != null) {
            for (int i = kept.size() - 1; i >= 0; i--) {
                if (timeOf(kept.get(i)) <= time) {
                    return kept.get(i);
                }
            }
        }
        return null;
    }

    private long timeOf(Row version) {
        return (Long) version.getField(versionTime);
    }

    private void emit(Row row, Row version, long time) {
        output.collect(joined.replace(Row.join(row, version == null ? noVersion : version), time));
    }
}
