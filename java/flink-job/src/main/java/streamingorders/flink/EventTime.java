package streamingorders.flink;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.types.Row;

/**
 * Event time for validated bus rows, assigned right after validation, before any keyed shuffle:
 * each validator gets its rows in the order the stream's one reader delivered them (its files
 * follow each other in time), so a watermark made there is right, and operators after a shuffle
 * take the minimum over their inputs. (A watermark made after a keyed shuffle sees several readers'
 * time ranges interleaved and declares timely rows late.) The Kinesis source assigns event time
 * itself, per shard. An input with nothing to read for `idleMillis` stops
 * holding the others back; `idleMillis` 0 turns idleness off (a bounded run, where every input
 * ends and so releases the others).
 */
public final class EventTime {
    private EventTime() {}

    /** `rows` timestamped by their `event_ms`, watermarks `boundMillis` behind the newest. */
    public static DataStream<Row> assign(DataStream<Row> rows, long boundMillis, long idleMillis) {
        int eventMillisPosition = DocumentFields.position((RowTypeInfo) rows.getType(), Columns.EVENT_MS);
        SerializableTimestampAssigner<Row> eventMillis = (row, previous) -> (Long) row.getField(eventMillisPosition);
        WatermarkStrategy<Row> strategy = WatermarkStrategy.<Row>forBoundedOutOfOrderness(Duration.ofMillis(boundMillis))
                .withTimestampAssigner(eventMillis);
        if (idleMillis > 0) {
            strategy = strategy.withIdleness(Duration.ofMillis(idleMillis));
        }
        return rows.assignTimestampsAndWatermarks(strategy).name("event time");
    }
}
