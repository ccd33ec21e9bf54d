package streamingorders.flink.kinesis;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/** A shard split in checkpoints: its fields in order, strings as modified UTF-8. */
public final class ShardSplitSerializer implements SimpleVersionedSerializer<ShardSplit> {
    static final ShardSplitSerializer INSTANCE = new ShardSplitSerializer();
    private static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(ShardSplit split) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            write(split, out);
        }
        return bytes.toByteArray();
    }

    @Override
    public ShardSplit deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException("unknown shard split version " + version);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            return read(in);
        }
    }

    static void write(ShardSplit split, DataOutput out) throws IOException {
        out.writeUTF(split.streamArn);
        out.writeUTF(split.shardId);
        out.writeInt(split.parentShardIds.size());
        for (String parent : split.parentShardIds) {
            out.writeUTF(parent);
        }
        out.writeUTF(split.start.name());
        out.writeBoolean(split.startArgument != null);
        if (split.startArgument != null) {
            out.writeUTF(split.startArgument);
        }
        out.writeBoolean(split.finished);
    }

    static ShardSplit read(DataInput in) throws IOException {
        String streamArn = in.readUTF();
        String shardId = in.readUTF();
        int parents = in.readInt();
        List<String> parentShardIds = new ArrayList<>(parents);
        for (int i = 0; i < parents; i++) {
            parentShardIds.add(in.readUTF());
        }
        ShardSplit.Start start = ShardSplit.Start.valueOf(in.readUTF());
        String startArgument = in.readBoolean() ? in.readUTF() : null;
        return new ShardSplit(streamArn, shardId, parentShardIds, start, startArgument, in.readBoolean());
    }
}
