package streamingorders.flink;

import org.apache.flink.metrics.MetricGroup;

/**
 * The group the job's operators register their metrics in. MSF publishes to CloudWatch (namespace
 * AWS/KinesisAnalytics) only the metrics under a group named `kinesisanalytics`; the Python steps
 * use the same group (flink_app/metrics.py).
 */
final class JobMetrics {
    static final String MSF_GROUP = "kinesisanalytics";

    private JobMetrics() {}

    static MetricGroup of(MetricGroup operator) {
        return operator.addGroup(MSF_GROUP);
    }
}
