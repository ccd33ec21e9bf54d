package streamingorders.flink.kinesis;

import java.util.List;
import org.apache.flink.api.connector.source.SourceEvent;

/** From a reader to the enumerator: these shards were closed and have been read to their end. */
final class ShardsFinished implements SourceEvent {
    private static final long serialVersionUID = 1L;

    final List<String> shardIds;

    ShardsFinished(List<String> shardIds) {
        this.shardIds = List.copyOf(shardIds);
    }
}
