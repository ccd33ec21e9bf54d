package streamingorders.flink.kinesis;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import streamingorders.flink.ValidateRecords;

/** The job's Kinesis sources, built by flink_app/java_helper.py (kinesis_records). */
public final class KinesisStreams {
    private KinesisStreams() {}

    /**
     * `stream`'s records as sent, with their event time assigned inside the source, per shard:
     * watermarks `boundMillis` behind each shard's newest record, the reader's the least of its
     * shards' (a shard far behind, as when a backlog is read, holds it back instead of having its
     * records declared late). A shard with nothing to read for `idleMillis` stops holding the
     * others back. A record that is not valid (a dead letter further on) moves no watermark.
     */
    public static DataStream<byte[]> read(StreamExecutionEnvironment env, KinesisSettings settings, String stream,
                                          ValidateRecords validator, long boundMillis, long idleMillis) {
        WatermarkStrategy<byte[]> strategy = WatermarkStrategy.<byte[]>forBoundedOutOfOrderness(Duration.ofMillis(boundMillis))
                .withTimestampAssigner((record, arrival) -> validator.eventMillisOrMin(record));
        if (idleMillis > 0) {
            strategy = strategy.withIdleness(Duration.ofMillis(idleMillis));
        }
        return env.fromSource(new KinesisShardsSource(settings), strategy, "kinesis " + stream,
                        PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO)
                .uid("source-" + stream);
    }
}
