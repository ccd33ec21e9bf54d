package streamingorders.flink;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.factories.DynamicTableSinkFactory;
import org.apache.flink.table.factories.FactoryUtil;

/**
 * The table connector `opensearch-orders`: each row's document column (JSON, UTF-8: the same bytes
 * as the curated files) is indexed into OpenSearch with `_id` = the id column, through bulk requests.
 * Documents OpenSearch rejects for what they hold go to `dead-letter-path` with the reason.
 */
public final class OpenSearchSinkFactory implements DynamicTableSinkFactory {
    static final ConfigOption<String> URL = ConfigOptions.key("url").stringType().noDefaultValue()
            .withDescription("the cluster's endpoint, e.g. https://search-x.eu-west-1.es.amazonaws.com");
    static final ConfigOption<String> INDEX = ConfigOptions.key("index").stringType().defaultValue("orders-write");
    static final ConfigOption<String> ID_COLUMN = ConfigOptions.key("id-column").stringType().defaultValue("line_id");
    static final ConfigOption<String> DOCUMENT_COLUMN = ConfigOptions.key("document-column").stringType()
            .defaultValue("document");
    static final ConfigOption<String> USERNAME = ConfigOptions.key("username").stringType().noDefaultValue();
    static final ConfigOption<String> PASSWORD = ConfigOptions.key("password").stringType().noDefaultValue();
    static final ConfigOption<String> PASSWORD_SECRET_ARN = ConfigOptions.key("password-secret-arn").stringType()
            .noDefaultValue().withDescription("instead of password: the Secrets Manager secret holding it, read when the writer opens");
    static final ConfigOption<String> SIGV4_REGION = ConfigOptions.key("sigv4.region").stringType().noDefaultValue()
            .withDescription("sign requests (AWS SigV4) for Amazon OpenSearch Service in this region");
    static final ConfigOption<String> SIGV4_SERVICE = ConfigOptions.key("sigv4.service").stringType().defaultValue("es");
    static final ConfigOption<String> DEAD_LETTER_PATH = ConfigOptions.key("dead-letter-path").stringType().noDefaultValue();
    static final ConfigOption<Integer> MAX_DOCUMENTS = ConfigOptions.key("bulk.max-documents").intType().defaultValue(1000);
    static final ConfigOption<Integer> MAX_BYTES = ConfigOptions.key("bulk.max-bytes").intType().defaultValue(5 << 20);
    static final ConfigOption<Duration> FLUSH_INTERVAL = ConfigOptions.key("bulk.flush-interval").durationType()
            .defaultValue(Duration.ofSeconds(1));
    static final ConfigOption<Integer> MAX_IN_FLIGHT = ConfigOptions.key("bulk.max-in-flight").intType().defaultValue(4)
            .withDescription("bulk requests a subtask may have unanswered; beyond, it waits (backpressure)");
    static final ConfigOption<Integer> MAX_ATTEMPTS = ConfigOptions.key("max-attempts").intType().defaultValue(5);
    static final ConfigOption<Duration> BACKOFF = ConfigOptions.key("backoff").durationType().defaultValue(Duration.ofMillis(200));

    @Override
    public String factoryIdentifier() {
        return "opensearch-orders";
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of(URL, DEAD_LETTER_PATH);
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return Set.of(INDEX, ID_COLUMN, DOCUMENT_COLUMN, USERNAME, PASSWORD, PASSWORD_SECRET_ARN, SIGV4_REGION, SIGV4_SERVICE, MAX_DOCUMENTS, MAX_BYTES, FLUSH_INTERVAL,
                MAX_IN_FLIGHT, MAX_ATTEMPTS, BACKOFF);
    }

    @Override
    public DynamicTableSink createDynamicTableSink(Context context) {
        FactoryUtil.TableFactoryHelper helper = FactoryUtil.createTableFactoryHelper(this, context);
        helper.validate();
        ReadableConfig options = helper.getOptions();
        var columns = context.getCatalogTable().getResolvedSchema().getColumnNames();
        int idPosition = columnPosition(columns, ID_COLUMN, options);
        int documentPosition = columnPosition(columns, DOCUMENT_COLUMN, options);
        BulkSettings settings = new BulkSettings(options.get(URL).replaceAll("/+$", ""), options.get(INDEX),
                options.getOptional(USERNAME).orElse(null), options.getOptional(PASSWORD).orElse(null),
                options.getOptional(PASSWORD_SECRET_ARN).orElse(null),
                options.getOptional(SIGV4_REGION).orElse(null), options.get(SIGV4_SERVICE),
                options.get(MAX_DOCUMENTS), options.get(MAX_BYTES), options.get(FLUSH_INTERVAL).toMillis(),
                options.get(MAX_ATTEMPTS), options.get(BACKOFF).toMillis(), options.get(MAX_IN_FLIGHT));
        return new OpenSearchTableSink(idPosition, documentPosition, settings, options.get(DEAD_LETTER_PATH));
    }

    private static int columnPosition(List<String> columns, ConfigOption<String> option, ReadableConfig options) {
        int position = columns.indexOf(options.get(option));
        if (position < 0) {
            throw new IllegalArgumentException(option.key() + " '" + options.get(option) + "' is not a column of " + columns);
        }
        return position;
    }
}
