package streamingorders.flink;

import java.time.Duration;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;

/**
 * Lets through the first delivery of each sale line (order_id, item_id) and drops redeliveries
 * seen within the dedup window. The window is this operator's own state TTL, so the rest of the
 * job keeps its state as long as it needs (Flink SQL's deduplication only has the job-wide TTL,
 * which would also expire the temporal joins' customer and address versions). Flink's state TTL
 * runs on processing time: a redelivery is recognised if it arrives within the window of the
 * first delivery's arrival. The accumulators give the bounded run's summary its counts.
 */
public final class FirstDelivery extends KeyedProcessFunction<String, Row, Row> {
    private final long windowMillis;
    public static final String FIRST_DELIVERIES = "sale_lines_first_delivered";
    public static final String REDELIVERIES = "sale_lines_redelivered";
    private transient ValueState<Boolean> seen;
    private transient LongCounter firstDeliveries;
    private transient LongCounter redeliveries;

    private FirstDelivery(long windowMillis) {
        this.windowMillis = windowMillis;
    }

    /** `lines` keyed by the fields at `orderIdPosition` and `itemIdPosition`, first deliveries only. */
    public static DataStream<Row> of(DataStream<Row> lines, int orderIdPosition, int itemIdPosition, long windowMillis) {
        return lines
                .keyBy(new LineKey(orderIdPosition, itemIdPosition))
                .process(new FirstDelivery(windowMillis))
                .returns(lines.getType())
                .name("first delivery of each sale line")
                .uid("dedup-sale-lines");
    }

    @Override
    public void open(OpenContext context) {
        ValueStateDescriptor<Boolean> descriptor = new ValueStateDescriptor<>("seen", Types.BOOLEAN);
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(Duration.ofMillis(windowMillis))
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        seen = getRuntimeContext().getState(descriptor);
        firstDeliveries = getRuntimeContext().getLongCounter(FIRST_DELIVERIES);
        redeliveries = getRuntimeContext().getLongCounter(REDELIVERIES);
    }

    @Override
    public void processElement(Row line, Context context, Collector<Row> out) throws Exception {
        if (seen.value() == null) {
            seen.update(true);
            firstDeliveries.add(1L);
            out.collect(line);
        } else {
            redeliveries.add(1L);
        }
    }

    private static final class LineKey implements KeySelector<Row, String> {
        private final int orderIdPosition;
        private final int itemIdPosition;

        LineKey(int orderIdPosition, int itemIdPosition) {
            this.orderIdPosition = orderIdPosition;
            this.itemIdPosition = itemIdPosition;
        }

        @Override
        public String getKey(Row line) {
            return line.getField(orderIdPosition) + "-" + line.getField(itemIdPosition);
        }
    }
}
