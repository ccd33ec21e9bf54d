package streamingorders.flink;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/** What an as-of join (CustomerAsOf) keeps of a customer: its kept versions and, by address_id, those of each address it named. */
public final class CustomerHistory {
    static final TypeInformation<CustomerHistory> TYPE = Types.POJO(CustomerHistory.class, Map.of(
            "versions", Types.LIST(Version.TYPE),
            "addresses", Types.MAP(Types.STRING, Types.LIST(Version.TYPE))));

    public List<Version> versions = new ArrayList<>();
    public Map<String, List<Version>> addresses = new HashMap<>();

    public CustomerHistory() {}
}
