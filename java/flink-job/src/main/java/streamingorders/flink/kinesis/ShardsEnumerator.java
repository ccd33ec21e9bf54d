package streamingorders.flink.kinesis;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;

/**
 * Finds the stream's shards and hands each to a reader, parents first.
 *
 * <p>Every `shardDiscoveryMillis` the shards are listed again (ListShards). A shard is handed out
 * once each of its parents (the shard it was split from, the two it was merged from) has been read
 * to its end, which its reader reports ({@link ShardsFinished}), or has left the stream's
 * retention; so a key's records, which move to a child shard on a split or a merge, are read in
 * order. A shard always goes to the same reader, `shard number mod parallelism` (Kinesis numbers
 * shards in the order they are created). The shards of the first listing start at the configured
 * position (LATEST skips the closed ones), shards created later at their beginning.
 */
final class ShardsEnumerator implements SplitEnumerator<ShardSplit, EnumeratorState> {
    private static final Logger LOG = LoggerFactory.getLogger(ShardsEnumerator.class);

    private final KinesisSettings settings;
    private final SplitEnumeratorContext<ShardSplit> context;
    private final Set<String> assigned;
    private final Set<String> finished;
    private final TreeMap<String, ShardSplit> pending = new TreeMap<>();
    private boolean listedOnce;
    private Set<String> listed;  // the shards of the latest listing; null until the first since start
    private KinesisClient kinesis;

    ShardsEnumerator(KinesisSettings settings, SplitEnumeratorContext<ShardSplit> context, EnumeratorState state) {
        this.settings = settings;
        this.context = context;
        this.assigned = new HashSet<>(state.assigned);
        this.finished = new HashSet<>(state.finished);
        state.pending.forEach(split -> pending.put(split.shardId, split));
        this.listedOnce = state.listedOnce;
    }

    @Override
    public void start() {
        kinesis = settings.client();
        context.callAsync(this::listShards, this::discovered, 0, settings.shardDiscoveryMillis);
    }

    private List<Shard> listShards() {
        List<Shard> shards = new ArrayList<>();
        ListShardsResponse page = kinesis.listShards(request -> request.streamARN(settings.streamArn));
        shards.addAll(page.shards());
        while (page.nextToken() != null) {
            String token = page.nextToken();
            page = kinesis.listShards(request -> request.nextToken(token));
            shards.addAll(page.shards());
        }
        return shards;
    }

    private void discovered(List<Shard> shards, Throwable error) {
        if (error != null) {
            LOG.warn("could not list the shards of {}, trying again in {} ms", settings.streamArn,
                    settings.shardDiscoveryMillis, error);
            return;
        }
        listed = new HashSet<>();
        shards.sort(Comparator.comparing(Shard::shardId));
        for (Shard shard : shards) {
            String id = shard.shardId();
            listed.add(id);
            if (assigned.contains(id) || finished.contains(id) || pending.containsKey(id)) {
                continue;
            }
            boolean closed = shard.sequenceNumberRange().endingSequenceNumber() != null;
            if (!listedOnce && closed && settings.initialPosition == ShardSplit.Start.LATEST) {
                finished.add(id);  // nothing in it is newer than the start
                continue;
            }
            ShardSplit.Start start = listedOnce ? ShardSplit.Start.TRIM_HORIZON : settings.initialPosition;
            String argument = start == ShardSplit.Start.AT_TIMESTAMP ? settings.initialTimestampMillis : null;
            pending.put(id, new ShardSplit(settings.streamArn, id, parents(shard), start, argument, false));
        }
        finished.retainAll(listed);  // past the retention: no child waits for them any more
        listedOnce = true;
        assignReady();
    }

    private static List<String> parents(Shard shard) {
        List<String> parents = new ArrayList<>();
        if (shard.parentShardId() != null) {
            parents.add(shard.parentShardId());
        }
        if (shard.adjacentParentShardId() != null) {
            parents.add(shard.adjacentParentShardId());
        }
        return parents;
    }

    /** Hands out every pending shard whose parents are done and whose reader is there. */
    private void assignReady() {
        if (listed == null) {
            return;  // restored: wait for a listing to know which parents have left the retention
        }
        int parallelism = context.currentParallelism();
        for (ShardSplit split : new ArrayList<>(pending.values())) {
            boolean parentsDone = split.parentShardIds.stream().allMatch(p -> finished.contains(p) || !listed.contains(p));
            int reader = Math.floorMod(shardNumber(split.shardId), parallelism);
            if (parentsDone && context.registeredReaders().containsKey(reader)) {
                context.assignSplit(split, reader);
                pending.remove(split.shardId);
                assigned.add(split.shardId);
            }
        }
    }

    /** The number in `shardId-000000000042`; a hash for an id of another form. */
    static int shardNumber(String shardId) {
        String digits = shardId.substring(shardId.lastIndexOf('-') + 1);
        try {
            return (int) (Long.parseLong(digits) % Integer.MAX_VALUE);
        } catch (NumberFormatException otherForm) {
            return shardId.hashCode();
        }
    }

    @Override
    public void handleSourceEvent(int subtaskId, SourceEvent event) {
        if (event instanceof ShardsFinished) {
            for (String id : ((ShardsFinished) event).shardIds) {
                assigned.remove(id);
                finished.add(id);
            }
            assignReady();
        }
    }

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {
        // splits are pushed as shards are found and their parents finish
    }

    @Override
    public void addSplitsBack(List<ShardSplit> splits, int subtaskId) {
        for (ShardSplit split : splits) {  // assigned after the checkpoint the failed reader restarts from
            assigned.remove(split.shardId);
            if (split.finished) {
                finished.add(split.shardId);
            } else {
                pending.put(split.shardId, split);
            }
        }
    }

    @Override
    public void addReader(int subtaskId) {
        assignReady();
    }

    @Override
    public EnumeratorState snapshotState(long checkpointId) {
        return new EnumeratorState(assigned, finished, new ArrayList<>(pending.values()), listedOnce);
    }

    @Override
    public void close() throws IOException {
        if (kinesis != null) {
            kinesis.close();
        }
    }
}
