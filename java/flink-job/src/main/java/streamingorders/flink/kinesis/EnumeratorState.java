package streamingorders.flink.kinesis;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * What the enumerator keeps in checkpoints: the shards assigned to readers and not yet finished,
 * the shards read to their end, the shards waiting for their parents or for a reader, and whether
 * the stream's shards have been listed once (the shards of that first listing start at the
 * configured position, shards that appear later at their beginning).
 */
final class EnumeratorState {
    static final EnumeratorState EMPTY = new EnumeratorState(Set.of(), Set.of(), List.of(), false);

    final Set<String> assigned;
    final Set<String> finished;
    final List<ShardSplit> pending;
    final boolean listedOnce;

    EnumeratorState(Set<String> assigned, Set<String> finished, List<ShardSplit> pending, boolean listedOnce) {
        this.assigned = Set.copyOf(assigned);
        this.finished = Set.copyOf(finished);
        this.pending = List.copyOf(pending);
        this.listedOnce = listedOnce;
    }

    /** Its checkpoint form. */
    static final class Serializer implements SimpleVersionedSerializer<EnumeratorState> {
        private static final int VERSION = 1;

        @Override
        public int getVersion() {
            return VERSION;
        }

        @Override
        public byte[] serialize(EnumeratorState state) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                for (Set<String> ids : List.of(state.assigned, state.finished)) {
                    out.writeInt(ids.size());
                    for (String id : ids) {
                        out.writeUTF(id);
                    }
                }
                out.writeInt(state.pending.size());
                for (ShardSplit split : state.pending) {
                    ShardSplitSerializer.write(split, out);
                }
                out.writeBoolean(state.listedOnce);
            }
            return bytes.toByteArray();
        }

        @Override
        public EnumeratorState deserialize(int version, byte[] serialized) throws IOException {
            if (version != VERSION) {
                throw new IOException("unknown Kinesis enumerator state version " + version);
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                List<Set<String>> sets = new ArrayList<>();
                for (int set = 0; set < 2; set++) {
                    Set<String> ids = new HashSet<>();
                    for (int i = in.readInt(); i > 0; i--) {
                        ids.add(in.readUTF());
                    }
                    sets.add(ids);
                }
                List<ShardSplit> pending = new ArrayList<>();
                for (int i = in.readInt(); i > 0; i--) {
                    pending.add(ShardSplitSerializer.read(in));
                }
                return new EnumeratorState(sets.get(0), sets.get(1), pending, in.readBoolean());
            }
        }
    }
}
