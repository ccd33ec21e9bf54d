package streamingorders.flink;

import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonGenerator;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.apache.flink.types.Row;

/**
 * Geocodes {@link AddressBatches}' batches in the JVM with {@link GeocoderClient}, the same element
 * in and out as Python's `GeocodeAddresses` (flink_app/geocoding.py, the extension point for another
 * API): `rows`, passed on untouched, and `places`, a JSON array of [address_id, *place fields] per
 * address, in; `rows` and `geocodes`, a JSON array of [lat, lon, status, precision, provider] per
 * address, out, for {@link GeocodedAddresses}. One client per task; every address is answered, at
 * worst `failed`. Its metrics are the Python operator's, so one alarm watches either.
 */
public final class GeocodeBatches extends RichAsyncFunction<Row, Row> {
    private static final JsonFactory JSON = new JsonFactory();

    private final GeocoderSettings settings;
    private transient GeocoderClient client;
    private transient Meter failed;

    GeocodeBatches(GeocoderSettings settings) {
        this.settings = settings;
    }

    /**
     * `batches` geocoded through Flink's Async I/O, in order, `connections` times two batches in
     * flight per task, no operator timeout (the client answers every address itself, at worst
     * `failed`); `settingsJson` is the Python GeocoderSettings as a JSON object.
     */
    public static DataStream<Row> of(DataStream<Row> batches, String settingsJson) {
        GeocoderSettings settings = GeocoderSettings.fromJson(settingsJson);
        return AsyncDataStream.orderedWait(batches, new GeocodeBatches(settings), 0, TimeUnit.MILLISECONDS,
                        settings.connections * 2)
                .returns(GeocodedAddresses.BATCH_TYPE)
                .name("geocode addresses").uid("geocode-addresses");
    }

    @Override
    public void open(OpenContext context) {
        client = new GeocoderClient(settings);
        GeocoderClient.Stats stats = client.stats;
        MetricGroup metrics = JobMetrics.of(getRuntimeContext().getMetricGroup()).addGroup("geocoder");
        metrics.gauge("requests", (Gauge<Long>) stats.requests::get);
        metrics.gauge("addresses_sent", (Gauge<Long>) stats.addressesSent::get);
        metrics.gauge("reused", (Gauge<Long>) stats.reused::get);
        metrics.gauge("cache_hits", (Gauge<Long>) stats.cacheHits::get);
        metrics.gauge("retries", (Gauge<Long>) stats.retries::get);
        metrics.gauge("failures", (Gauge<Long>) stats.failures::get);
        metrics.gauge("mean_latency_ms", (Gauge<Long>) stats::meanLatencyMillis);
        // Addresses that went on `failed`, per second over a minute: the geocoding failures alarm.
        failed = metrics.meter("failed_addresses_per_second", new MeterView(60));
    }

    @Override
    public void asyncInvoke(Row batch, ResultFuture<Row> result) throws IOException {
        List<String> addressIds = new ArrayList<>();
        List<List<String>> places = new ArrayList<>();
        try (JsonParser parser = JSON.createParser((String) batch.getField(1))) {
            parser.nextToken();  // the batch's array
            while (parser.nextToken() == JsonToken.START_ARRAY) {
                parser.nextToken();
                addressIds.add(parser.getText());
                List<String> place = new ArrayList<>(GeocoderClient.FIELDS.size());
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    place.add(parser.currentToken() == JsonToken.VALUE_NULL ? null : parser.getText());
                }
                places.add(place);
            }
        }
        client.geocodeAll(addressIds, places).whenComplete((geocodes, error) -> {
            if (error != null) {
                result.completeExceptionally(error);
                return;
            }
            long failures = geocodes.stream().filter(geocode -> geocode == GeocoderClient.FAILED).count();
            if (failures > 0) {
                failed.markEvent(failures);
            }
            try {
                result.complete(List.of(Row.of(batch.getField(0), json(geocodes))));
            } catch (IOException e) {
                result.completeExceptionally(e);
            }
        });
    }

    private static String json(List<GeocoderClient.Geocode> geocodes) throws IOException {
        StringWriter text = new StringWriter();
        try (JsonGenerator out = JSON.createGenerator(text)) {
            out.writeStartArray();
            for (GeocoderClient.Geocode geocode : geocodes) {
                out.writeStartArray();
                if (geocode.lat == null) {
                    out.writeNull();
                    out.writeNull();
                } else {
                    out.writeNumber(geocode.lat);
                    out.writeNumber(geocode.lon);
                }
                out.writeString(geocode.status);
                out.writeString(geocode.precision);
                out.writeString(geocode.provider);
                out.writeEndArray();
            }
            out.writeEndArray();
        }
        return text.toString();
    }
}
