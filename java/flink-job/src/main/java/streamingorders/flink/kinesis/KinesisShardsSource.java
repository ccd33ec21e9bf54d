package streamingorders.flink.kinesis;

import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * A Kinesis data stream's records, as UTF-8 text, each shard a split (FLIP-27), read by polling
 * (GetRecords) with the AWS SDK for Java v2. The project's own: the AWS connector for Flink 2.x
 * (`flink-connector-aws-kinesis-streams` 6.x) is not on the Maven repository these machines reach
 * (docs/ says more). Unbounded; exactly-once through the sequence numbers in its checkpoints.
 */
public final class KinesisShardsSource implements Source<byte[], ShardSplit, EnumeratorState> {
    private static final long serialVersionUID = 1L;

    private final KinesisSettings settings;

    public KinesisShardsSource(KinesisSettings settings) {
        this.settings = settings;
    }

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SourceReader<byte[], ShardSplit> createReader(SourceReaderContext context) {
        return new KinesisSourceReader(settings, context);
    }

    @Override
    public SplitEnumerator<ShardSplit, EnumeratorState> createEnumerator(SplitEnumeratorContext<ShardSplit> context) {
        return new ShardsEnumerator(settings, context, EnumeratorState.EMPTY);
    }

    @Override
    public SplitEnumerator<ShardSplit, EnumeratorState> restoreEnumerator(SplitEnumeratorContext<ShardSplit> context,
                                                                          EnumeratorState state) {
        return new ShardsEnumerator(settings, context, state);
    }

    @Override
    public SimpleVersionedSerializer<ShardSplit> getSplitSerializer() {
        return ShardSplitSerializer.INSTANCE;
    }

    @Override
    public SimpleVersionedSerializer<EnumeratorState> getEnumeratorCheckpointSerializer() {
        return new EnumeratorState.Serializer();
    }
}
