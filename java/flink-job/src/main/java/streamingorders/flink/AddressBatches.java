package streamingorders.flink;

import java.io.IOException;
import java.io.StringWriter;
import java.util.concurrent.ScheduledFuture;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonGenerator;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.types.Row;

/**
 * Addresses on their way to the geocoder, grouped into batches of up to `size`, so that each batch
 * crosses into Python's async operator as one element with two fields: `rows`, the addresses as
 * they came (serialized: Python hands them back untouched, to {@link GeocodedAddresses}), and
 * `places`, a JSON array holding for each address its `address_id` and geocodable fields (what the
 * geocoder needs). Python's async operator costs per element and per field it decodes, not per
 * byte (docs/performance.md). A batch goes out when it is full, `maxDelayMillis` after its first
 * address, and before anything that must not overtake its addresses: a watermark, an idle status,
 * a checkpoint barrier, the end of the input. So no address waits here across a checkpoint, and
 * the operator needs no state. A batch is timestamped with its newest address's time (the later
 * operators read each address's own `event_ms`).
 */
public final class AddressBatches extends AbstractStreamOperator<Row>
        implements OneInputStreamOperator<Row, Row>, BoundedOneInput, ProcessingTimeCallback {
    public static final TypeInformation<Row> TYPE =
            Types.ROW_NAMED(new String[] {"rows", "places"}, Types.PRIMITIVE_ARRAY(Types.BYTE), Types.STRING);
    private static final JsonFactory JSON = new JsonFactory();

    private final RowTypeInfo addressType;
    private final int[] placePositions;
    private final int size;
    private final long maxDelayMillis;
    private transient TypeSerializer<Row> serializer;
    private transient DataOutputSerializer rows;
    private transient StringWriter placesText;
    private transient JsonGenerator places;
    private transient int count;
    private transient long newest;
    private transient ScheduledFuture<?> deadline;

    AddressBatches(RowTypeInfo addressType, String[] placeFields, int size, long maxDelayMillis) {
        if (size < 1 || maxDelayMillis < 0) {
            throw new IllegalArgumentException("a batch holds at least one address and waits no less than 0 ms");
        }
        this.addressType = addressType;
        this.placePositions = new int[placeFields.length];
        for (int i = 0; i < placeFields.length; i++) {
            placePositions[i] = DocumentFields.position(addressType, placeFields[i]);
        }
        this.size = size;
        this.maxDelayMillis = maxDelayMillis;
    }

    /**
     * `addresses` in batches of up to `size`, each out at most `maxDelayMillis` after its first;
     * `placeFields` (string fields) are what each batch's `places` holds per address.
     */
    public static DataStream<Row> of(DataStream<Row> addresses, String[] placeFields, int size, long maxDelayMillis) {
        RowTypeInfo type = (RowTypeInfo) addresses.getType();
        return addresses
                .transform("address batches", TYPE, new AddressBatches(type, placeFields, size, maxDelayMillis))
                .uid("address-batches");
    }

    @Override
    public void open() throws Exception {
        super.open();
        serializer = addressType.createSerializer(getExecutionConfig().getSerializerConfig());
        rows = new DataOutputSerializer(4096);
        startBatch();
    }

    @Override
    public void processElement(StreamRecord<Row> record) throws IOException {
        Row address = record.getValue();
        serializer.serialize(address, rows);
        places.writeStartArray();
        for (int position : placePositions) {
            places.writeString((String) address.getField(position));
        }
        places.writeEndArray();
        count++;
        if (record.hasTimestamp()) {
            newest = Math.max(newest, record.getTimestamp());
        }
        if (count >= size) {
            emit();
        } else if (deadline == null) {
            long now = getProcessingTimeService().getCurrentProcessingTime();
            deadline = getProcessingTimeService().registerTimer(now + maxDelayMillis, this);
        }
    }

    @Override
    public void onProcessingTime(long time) throws IOException {
        deadline = null;
        emit();
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        emit();
        super.processWatermark(mark);
    }

    @Override
    public void processWatermarkStatus(WatermarkStatus status) throws Exception {
        emit();
        super.processWatermarkStatus(status);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws IOException {
        emit();
    }

    @Override
    public void endInput() throws IOException {
        emit();
    }

    private void startBatch() throws IOException {
        rows.clear();
        placesText = new StringWriter();
        places = JSON.createGenerator(placesText);
        places.writeStartArray();
        count = 0;
        newest = Long.MIN_VALUE;
    }

    private void emit() throws IOException {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
        if (count == 0) {
            return;
        }
        places.writeEndArray();
        places.close();
        Row batch = Row.of(rows.getCopyOfBuffer(), placesText.toString());
        output.collect(newest == Long.MIN_VALUE ? new StreamRecord<>(batch) : new StreamRecord<>(batch, newest));
        startBatch();
    }
}
