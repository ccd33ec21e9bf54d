package streamingorders.flink;

import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.state.StateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;

/**
 * A key's versions, oldest first, as the as-of joins keep them (docs/contract.md §4): a version at the
 * same time as a kept one counts as the later delivery, and those superseded before the watermark
 * are dropped, since no timely sale can need them (a late one sees at best the version current at
 * the watermark).
 */
final class KeptVersions {
    private KeptVersions() {}

    /** Puts `version` in place in `kept` and drops the superseded. */
    static void add(List<Version> kept, Version version, long watermark) {
        int position = kept.size();
        while (position > 0 && kept.get(position - 1).time > version.time) {
            position--;
        }
        kept.add(position, version);
        int current = kept.size() - 1;  // the version current at the watermark
        while (current > 0 && kept.get(current).time > watermark) {
            current--;
        }
        kept.subList(0, current).clear();
    }

    /** The version of `kept` (null: none) with the greatest time at or before `time`, or null. */
    static Version asOf(List<Version> kept, long time) {
        if (kept != null) {
            for (int i = kept.size() - 1; i >= 0; i--) {
                if (kept.get(i).time <= time) {
                    return kept.get(i);
                }
            }
        }
        return null;
    }

    /** `descriptor` (the joins' state) with a TTL of `ttlMillis` since the last write, if positive. */
    static <S extends StateDescriptor<?, ?>> S withTtl(S descriptor, long ttlMillis) {
        if (ttlMillis > 0) {
            descriptor.enableTimeToLive(StateTtlConfig.newBuilder(Duration.ofMillis(ttlMillis))
                    .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                    .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                    .build());
        }
        return descriptor;
    }
}
