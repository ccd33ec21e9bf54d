package streamingorders.flink;

import org.apache.flink.api.common.functions.Partitioner;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.types.Row;

/**
 * Sends every row with the same value in one field to the same task, without keying the stream:
 * the geocoding step needs each address_id's versions in one task (to reuse the previous version's
 * location) but keeps no keyed state, and Python's async operator takes no keyed stream.
 */
public final class ByField {
    private ByField() {
    }

    public static DataStream<Row> partition(DataStream<Row> rows, String field) {
        return rows.partitionCustom(new ByHash(), new FieldKey(DocumentFields.position((RowTypeInfo) rows.getType(), field)));
    }

    private static final class ByHash implements Partitioner<String> {
        @Override
        public int partition(String key, int partitions) {
            return Math.floorMod(key.hashCode(), partitions);
        }
    }
}
