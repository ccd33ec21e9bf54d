package streamingorders.flink.kinesis;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.connector.base.source.reader.RecordsBySplits;
import org.apache.flink.connector.base.source.reader.RecordsWithSplitIds;
import org.apache.flink.connector.base.source.reader.splitreader.SplitReader;
import org.apache.flink.connector.base.source.reader.splitreader.SplitsAddition;
import org.apache.flink.connector.base.source.reader.splitreader.SplitsChange;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * Polls a reader's shards with GetRecords, one call per fetch, taking the shards in turn. A shard
 * that is caught up (or empty) is asked again after `pollIntervalMillis`; one that is behind, after
 * 200 ms (Kinesis serves five GetRecords calls per second and shard); a throttled one after a
 * second. A closed shard read to its end (no next iterator) is finished. An expired iterator is
 * renewed after the last record read.
 */
final class ShardReader implements SplitReader<Record, ShardSplit> {
    private static final long CALL_INTERVAL_MILLIS = 200;
    private static final long THROTTLED_BACKOFF_MILLIS = 1000;

    private final KinesisSettings settings;
    private final KinesisClient kinesis;
    private final List<Cursor> cursors = new ArrayList<>();
    private final Object wakeUps = new Object();
    private boolean wokenUp;
    private int next;

    /** A shard being read: its iterator, the last sequence number read, when to ask it next. */
    private static final class Cursor {
        final ShardSplit split;
        String iterator;
        String lastSequenceNumber;
        long dueMillis;

        Cursor(ShardSplit split) {
            this.split = split;
        }
    }

    ShardReader(KinesisSettings settings) {
        this.settings = settings;
        this.kinesis = settings.client();
    }

    @Override
    public RecordsWithSplitIds<Record> fetch() {
        RecordsBySplits.Builder<Record> out = new RecordsBySplits.Builder<>();
        Cursor cursor = nextDue();
        if (cursor == null) {
            waitUntilDue();
            return out.build();
        }
        try {
            if (cursor.iterator == null) {
                cursor.iterator = iterator(cursor);
            }
            GetRecordsResponse response = kinesis.getRecords(r -> r.streamARN(cursor.split.streamArn)
                    .shardIterator(cursor.iterator).limit(settings.recordsPerCall));
            List<Record> records = response.records();
            if (!records.isEmpty()) {
                out.addAll(cursor.split.shardId, records);
                cursor.lastSequenceNumber = records.get(records.size() - 1).sequenceNumber();
            }
            cursor.iterator = response.nextShardIterator();
            Long behind = response.millisBehindLatest();
            if (cursor.iterator == null) {
                out.addFinishedSplit(cursor.split.shardId);
                cursors.remove(cursor);
            } else {
                boolean caughtUp = records.isEmpty() || behind == null || behind == 0;
                cursor.dueMillis = System.currentTimeMillis() + (caughtUp ? settings.pollIntervalMillis : CALL_INTERVAL_MILLIS);
            }
        } catch (ExpiredIteratorException expired) {
            cursor.iterator = null;
        } catch (ProvisionedThroughputExceededException | LimitExceededException throttled) {
            cursor.dueMillis = System.currentTimeMillis() + THROTTLED_BACKOFF_MILLIS;
        }
        return out.build();
    }

    private String iterator(Cursor cursor) {
        ShardSplit split = cursor.split;
        GetShardIteratorRequest.Builder request = GetShardIteratorRequest.builder()
                .streamARN(split.streamArn).shardId(split.shardId);
        if (cursor.lastSequenceNumber != null) {
            request.shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
                    .startingSequenceNumber(cursor.lastSequenceNumber);
        } else if (split.start == ShardSplit.Start.AT_TIMESTAMP) {
            request.shardIteratorType(ShardIteratorType.AT_TIMESTAMP)
                    .timestamp(Instant.ofEpochMilli(Long.parseLong(split.startArgument)));
        } else if (split.start == ShardSplit.Start.AFTER_SEQUENCE_NUMBER) {
            request.shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER).startingSequenceNumber(split.startArgument);
        } else {
            request.shardIteratorType(ShardIteratorType.fromValue(split.start.name()));
        }
        return kinesis.getShardIterator(request.build()).shardIterator();
    }

    /** The next shard in turn that is due, or null. */
    private Cursor nextDue() {
        long now = System.currentTimeMillis();
        for (int i = 0; i < cursors.size(); i++) {
            Cursor cursor = cursors.get((next + i) % cursors.size());
            if (cursor.dueMillis <= now) {
                next = (next + i + 1) % cursors.size();
                return cursor;
            }
        }
        return null;
    }

    private void waitUntilDue() {
        long due = cursors.stream().mapToLong(c -> c.dueMillis).min().orElse(Long.MAX_VALUE);
        synchronized (wakeUps) {
            long wait = Math.min(due - System.currentTimeMillis(), settings.pollIntervalMillis);
            if (!wokenUp && wait > 0) {
                try {
                    wakeUps.wait(wait);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            wokenUp = false;
        }
    }

    @Override
    public void handleSplitsChanges(SplitsChange<ShardSplit> changes) {
        if (changes instanceof SplitsAddition) {
            changes.splits().forEach(split -> cursors.add(new Cursor(split)));
        }
    }

    @Override
    public void wakeUp() {
        synchronized (wakeUps) {
            wokenUp = true;
            wakeUps.notifyAll();
        }
    }

    @Override
    public void close() {
        kinesis.close();
    }

    /** The payload's bytes as sent: validation decodes them (and dead-letters what is not UTF-8). */
    static byte[] payload(Record record) {
        return record.data().asByteArray();
    }
}
