package streamingorders.flink.kinesis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.source.reader.SingleThreadMultiplexSourceReaderBase;
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * A reader of some of a stream's shards; each shard has its own watermark (the source's
 * WatermarkStrategy applies per split), so a shard far behind the others holds the reader's
 * watermark back instead of having its records declared late.
 *
 * <p>A shard read to its end is reported to the enumerator, which then hands out its children.
 * The report must survive a failure: the reader keeps the finished shard in its checkpoints (as a
 * finished split) until a checkpoint two later completes, by when the enumerator's checkpoint holds
 * it too, and reports a restored one again (the enumerator takes a report twice alike).
 */
final class KinesisSourceReader
        extends SingleThreadMultiplexSourceReaderBase<Record, byte[], ShardSplit, KinesisSourceReader.ShardState> {
    /** A split's state: the split and the sequence number of the last record emitted. */
    static final class ShardState {
        final ShardSplit split;
        String lastSequenceNumber;

        ShardState(ShardSplit split) {
            this.split = split;
        }
    }

    private final Map<String, ShardSplit> finished = new HashMap<>();
    private final Map<String, Long> finishedFirstCheckpointed = new HashMap<>();

    KinesisSourceReader(KinesisSettings settings, SourceReaderContext context) {
        super(() -> new ShardReader(settings),
                (record, output, state) -> {
                    output.collect(ShardReader.payload(record), record.approximateArrivalTimestamp().toEpochMilli());
                    state.lastSequenceNumber = record.sequenceNumber();
                },
                new Configuration(), context);
    }

    @Override
    public void addSplits(List<ShardSplit> splits) {
        List<ShardSplit> toRead = new ArrayList<>();
        List<String> restoredFinished = new ArrayList<>();
        for (ShardSplit split : splits) {
            if (split.finished) {
                finished.put(split.shardId, split);
                restoredFinished.add(split.shardId);
            } else {
                toRead.add(split);
            }
        }
        if (!restoredFinished.isEmpty()) {
            context.sendSourceEventToCoordinator(new ShardsFinished(restoredFinished));
        }
        if (!toRead.isEmpty()) {
            super.addSplits(toRead);
        }
    }

    @Override
    protected void onSplitFinished(Map<String, ShardState> states) {
        states.forEach((id, state) -> finished.put(id, state.split.after(state.lastSequenceNumber).asFinished()));
        context.sendSourceEventToCoordinator(new ShardsFinished(new ArrayList<>(states.keySet())));
    }

    @Override
    public List<ShardSplit> snapshotState(long checkpointId) {
        List<ShardSplit> splits = new ArrayList<>(super.snapshotState(checkpointId));
        for (ShardSplit split : finished.values()) {
            finishedFirstCheckpointed.putIfAbsent(split.shardId, checkpointId);
            splits.add(split);
        }
        return splits;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        finishedFirstCheckpointed.entrySet().removeIf(entry -> {
            boolean forget = entry.getValue() + 2 <= checkpointId;
            if (forget) {
                finished.remove(entry.getKey());
            }
            return forget;
        });
        super.notifyCheckpointComplete(checkpointId);
    }

    @Override
    protected ShardState initializedState(ShardSplit split) {
        return new ShardState(split);
    }

    @Override
    protected ShardSplit toSplitType(String splitId, ShardState state) {
        return state.split.after(state.lastSequenceNumber);
    }
}
