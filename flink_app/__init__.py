"""The PyFlink job: reads the customer, address and sales streams, validates, geocodes and joins
them into order documents (docs/contract.md). Runs on Managed Service for Apache Flink, any Flink
cluster, or locally on Flink's MiniCluster."""
