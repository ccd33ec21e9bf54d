package streamingorders.flink;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.types.Row;

/**
 * One version of a customer or of an address, as the as-of joins keep it: its time, the address
 * (a customer version's: the one it names), and its part of the order document. A POJO, so that
 * Flink serializes it field by field and its state can evolve.
 */
public final class Version {
    static final TypeInformation<Version> TYPE = Types.POJO(Version.class);

    public long time;
    public String addressId;
    public byte[] document;

    public Version() {}

    Version(long time, String addressId, byte[] document) {
        this.time = time;
        this.addressId = addressId;
        this.document = document;
    }

    /** Makes the versions of encoded rows (EncodeDocument) of one stream, customers or addresses. */
    static final class FromRow implements java.io.Serializable {
        private final int time;
        private final int addressId;
        private final int document;

        FromRow(RowTypeInfo type) {
            int[] positions = DocumentFields.positions(type, Columns.EVENT_MS, "address_id", Columns.DOCUMENT);
            time = positions[0];
            addressId = positions[1];
            document = positions[2];
        }

        Version of(Row row) {
            return new Version((Long) row.getField(time), (String) row.getField(addressId),
                    (byte[]) row.getField(document));
        }
    }
}
