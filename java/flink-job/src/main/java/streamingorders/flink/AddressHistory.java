package streamingorders.flink;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/** What CustomerVersions keeps of an address: its kept versions (KeptVersions) and the customers whose versions named it. */
public final class AddressHistory {
    static final TypeInformation<AddressHistory> TYPE = Types.POJO(AddressHistory.class, Map.of(
            "versions", Types.LIST(Version.TYPE),
            "customers", Types.LIST(Types.STRING)));

    public List<Version> versions = new ArrayList<>();
    public List<String> customers = new ArrayList<>();

    public AddressHistory() {}
}
