"""The group the job's Python steps register their metrics in. MSF publishes to CloudWatch (namespace
AWS/KinesisAnalytics) only the metrics under a group named `kinesisanalytics`; the Java operators
use the same group (JobMetrics.java). The Python workers have no JVM to read the name from."""

from __future__ import annotations

from pyflink.datastream import RuntimeContext
from pyflink.metrics import MetricGroup

MSF_GROUP = "kinesisanalytics"


def job_metrics(runtime_context: RuntimeContext) -> MetricGroup:
    return runtime_context.get_metrics_group().add_group(MSF_GROUP)
