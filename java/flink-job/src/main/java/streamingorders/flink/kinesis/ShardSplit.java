package streamingorders.flink.kinesis;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.connector.source.SourceSplit;

/**
 * One shard of a stream, where to start reading it, and the shards it was split or merged from
 * (read to their end before it, so that each key's records stay in order). `finished` marks a
 * shard a reader has read to its end, kept in the reader's state until the enumerator's state
 * surely holds it too (KinesisSourceReader).
 */
public final class ShardSplit implements SourceSplit, Serializable {
    private static final long serialVersionUID = 1L;

    /** Where reading starts: a Kinesis shard iterator type and, for two of them, its argument. */
    public enum Start { TRIM_HORIZON, LATEST, AT_TIMESTAMP, AFTER_SEQUENCE_NUMBER }

    final String streamArn;
    final String shardId;
    final List<String> parentShardIds;
    final Start start;
    final String startArgument;  // epoch milliseconds (AT_TIMESTAMP), a sequence number, or null
    final boolean finished;

    ShardSplit(String streamArn, String shardId, List<String> parentShardIds, Start start, String startArgument,
               boolean finished) {
        this.streamArn = Objects.requireNonNull(streamArn);
        this.shardId = Objects.requireNonNull(shardId);
        this.parentShardIds = List.copyOf(parentShardIds);
        this.start = Objects.requireNonNull(start);
        this.startArgument = startArgument;
        this.finished = finished;
    }

    @Override
    public String splitId() {
        return shardId;
    }

    /** The same shard, to be read after `sequenceNumber` (the last record emitted). */
    ShardSplit after(String sequenceNumber) {
        return sequenceNumber == null ? this
                : new ShardSplit(streamArn, shardId, parentShardIds, Start.AFTER_SEQUENCE_NUMBER, sequenceNumber, false);
    }

    ShardSplit asFinished() {
        return new ShardSplit(streamArn, shardId, parentShardIds, start, startArgument, true);
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof ShardSplit)) {
            return false;
        }
        ShardSplit split = (ShardSplit) other;
        return streamArn.equals(split.streamArn) && shardId.equals(split.shardId)
                && parentShardIds.equals(split.parentShardIds) && start == split.start
                && Objects.equals(startArgument, split.startArgument) && finished == split.finished;
    }

    @Override
    public int hashCode() {
        return Objects.hash(streamArn, shardId, start, startArgument, finished);
    }

    @Override
    public String toString() {
        return shardId + " of " + streamArn + " from " + start + (startArgument == null ? "" : " " + startArgument)
                + (finished ? " (finished)" : "");
    }
}
