package streamingorders.flink;

import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.types.Row;

/**
 * Recognises the first delivery of each sale line (order_id, item_id) and the redeliveries seen
 * within the dedup window, in the keyed state of the operator that uses it (WithReferenceData,
 * keyed by {@link #lineKey}). The window is this state's own TTL, so the rest of the job keeps its
 * state as long as it needs (Flink SQL's deduplication only has the job-wide TTL, which would also
 * expire the joins' customer and address versions). Flink's state TTL runs on processing time: a
 * redelivery is recognised if it arrives within the window of the first delivery's arrival. The
 * accumulators give the bounded run's summary its counts.
 */
final class FirstDelivery implements Serializable {
    private static final String FIRST_DELIVERIES = "sale_lines_first_delivered";
    private static final String REDELIVERIES = "sale_lines_redelivered";

    private final long windowMillis;
    private transient ValueState<Boolean> seen;
    private transient LongCounter firstDeliveries;
    private transient LongCounter redeliveries;

    FirstDelivery(long windowMillis) {
        this.windowMillis = windowMillis;
    }

    /** The sale line of a row whose order_id and item_id are at these positions. */
    static KeySelector<Row, String> lineKey(int orderIdPosition, int itemIdPosition) {
        return line -> line.getField(orderIdPosition) + "-" + line.getField(itemIdPosition);
    }

    void open(RuntimeContext context) {
        ValueStateDescriptor<Boolean> descriptor = new ValueStateDescriptor<>("seen", Types.BOOLEAN);
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(Duration.ofMillis(windowMillis))
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        seen = context.getState(descriptor);
        firstDeliveries = context.getLongCounter(FIRST_DELIVERIES);
        redeliveries = context.getLongCounter(REDELIVERIES);
    }

    /** Whether the current key's sale line arrives for the first time within the window; counted. */
    boolean isFirst() throws IOException {
        if (seen.value() != null) {
            redeliveries.add(1L);
            return false;
        }
        seen.update(true);
        firstDeliveries.add(1L);
        return true;
    }
}
