package streamingorders.flink;

import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.state.StateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.types.Row;

/**
 * A key's versions, oldest first, as the as-of joins keep them (docs/contract.md §4): a version at the
 * same time as a kept one counts as the later delivery, and those superseded before the watermark
 * are dropped, since no timely sale can need them (a late one sees at best the version current at
 * the watermark).
 */
final class KeptVersions {
    /** The versions' time (epoch milliseconds), as the encoded rows name it. */
    static final String TIME_FIELD = "event_ms";

    private KeptVersions() {}

    /** Puts `version` (its time at field `timeField`) in place in `kept` and drops the superseded. */
    static void add(List<Row> kept, Row version, int timeField, long watermark) {
        long time = timeOf(version, timeField);
        int position = kept.size();
        while (position > 0 && timeOf(kept.get(position - 1), timeField) > time) {
            position--;
        }
        kept.add(position, version);
        int current = kept.size() - 1;  // the version current at the watermark
        while (current > 0 && timeOf(kept.get(current), timeField) > watermark) {
            current--;
        }
        kept.subList(0, current).clear();
    }

    /** The version of `kept` (null: none) with the greatest time at or before `time`, or null. */
    static Row asOf(List<Row> kept, int timeField, long time) {
        if (kept != null) {
            for (int i = kept.size() - 1; i >= 0; i--) {
                if (timeOf(kept.get(i), timeField) <= time) {
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

    private static long timeOf(Row version, int timeField) {
        return (Long) version.getField(timeField);
    }
}
