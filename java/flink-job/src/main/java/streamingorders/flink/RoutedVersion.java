package streamingorders.flink;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/** A version on its way to one customer's as-of joins (CustomerVersions' output): its own, or one of an address it named. */
public final class RoutedVersion {
    static final TypeInformation<RoutedVersion> TYPE = Types.POJO(RoutedVersion.class);

    public String customerId;
    public boolean ofAddress;
    public Version version;

    public RoutedVersion() {}

    private RoutedVersion(String customerId, boolean ofAddress, Version version) {
        this.customerId = customerId;
        this.ofAddress = ofAddress;
        this.version = version;
    }

    static RoutedVersion ofCustomer(String customerId, Version version) {
        return new RoutedVersion(customerId, false, version);
    }

    static RoutedVersion ofAddress(String customerId, Version version) {
        return new RoutedVersion(customerId, true, version);
    }
}
