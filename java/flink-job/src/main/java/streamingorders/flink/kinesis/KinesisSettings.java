package streamingorders.flink.kinesis;

import java.io.Serializable;
import java.net.URI;
import java.util.Objects;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.KinesisClientBuilder;

/** How to read one stream (flink_app/config.py documents each setting). */
public final class KinesisSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    final String streamArn;
    final String region;
    final String endpoint;  // null: the region's Kinesis endpoint
    final ShardSplit.Start initialPosition;  // TRIM_HORIZON, LATEST or AT_TIMESTAMP
    final String initialTimestampMillis;  // for AT_TIMESTAMP
    final int recordsPerCall;
    final long pollIntervalMillis;
    final long shardDiscoveryMillis;

    public KinesisSettings(String streamArn, String region, String endpoint, String initialPosition,
                           String initialTimestampMillis, int recordsPerCall, long pollIntervalMillis,
                           long shardDiscoveryMillis) {
        this.streamArn = Objects.requireNonNull(streamArn);
        this.region = Objects.requireNonNull(region);
        this.endpoint = endpoint;
        this.initialPosition = ShardSplit.Start.valueOf(initialPosition);
        if (this.initialPosition == ShardSplit.Start.AFTER_SEQUENCE_NUMBER) {
            throw new IllegalArgumentException("the initial position is TRIM_HORIZON, LATEST or AT_TIMESTAMP");
        }
        this.initialTimestampMillis = initialTimestampMillis;
        this.recordsPerCall = recordsPerCall;
        this.pollIntervalMillis = pollIntervalMillis;
        this.shardDiscoveryMillis = shardDiscoveryMillis;
    }

    /**
     * A client with the SDK's default credentials chain. With an endpoint override (an emulator,
     * or a VPC endpoint) it speaks JSON instead of CBOR: emulators such as moto only speak JSON,
     * Kinesis both.
     */
    KinesisClient client() {
        KinesisClientBuilder builder = KinesisClient.builder().region(Region.of(region))
                .httpClientBuilder(ApacheHttpClient.builder());
        if (endpoint != null) {
            System.setProperty("aws.cborEnabled", "false");
            builder.endpointOverride(URI.create(endpoint));
        }
        return builder.build();
    }
}
