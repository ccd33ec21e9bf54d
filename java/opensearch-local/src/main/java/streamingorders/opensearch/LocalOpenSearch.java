package streamingorders.opensearch;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.geo.GeoModulePlugin;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * A real single-node OpenSearch with the security plugin (field- and document-level security,
 * masking), HTTP on 127.0.0.1 without TLS, transport TLS with certificates made at start.
 *
 * <p>Prints one JSON line with the URL (port 0: one the system picks) and the admin's credentials once the node answers them,
 * keeps everything in a temporary folder and deletes it on SIGTERM or Ctrl-C. Its log is
 * {@code logs/opensearch.log} in that folder, named on stderr.
 */
public final class LocalOpenSearch {
    private static final String SECURITY_PLUGIN = "org.opensearch.security.OpenSearchSecurityPlugin";

    private LocalOpenSearch() {}

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        PrintStream stdout = System.out; // OpenSearch's logging takes System.out and System.err over
        PrintStream stderr = System.err;
        Path home = Files.createTempDirectory("opensearch-local-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Node node;
        String password = newSecret(18);
        try {
            Path config = Files.createDirectory(home.resolve("config"));
            Certificates.write(config);
            SecurityConfig.write(options.securityPlugin.resolve("config"), config.resolve("opensearch-security"), password);
            Files.writeString(config.resolve("log4j2.properties"), LOG_CONFIG);
            Environment environment = new Environment(settings(home, options), config);
            stderr.println("opensearch-local: log in " + home.resolve("logs").resolve("opensearch.log"));
            LogConfigurator.setNodeName("local");
            LogConfigurator.configure(environment);
            node = new LocalNode(environment).start();
        } catch (Exception e) {
            deleteRecursively(home);
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(30, TimeUnit.SECONDS);
                deleteRecursively(home);
            } catch (IOException | InterruptedException e) {
                stderr.println("opensearch-local: while stopping: " + e);
            }
            stopped.countDown();
        }));
        int port = node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress().getPort();
        String url = "http://127.0.0.1:" + port;
        awaitAnswer(url, password);
        stdout.println("{\"url\": \"" + url + "\", \"username\": \"admin\", \"password\": \"" + password + "\"}");
        stdout.flush();
        stopped.await();
    }

    private static Settings settings(Path home, Options options) {
        return Settings.builder()
                .put("path.home", home.toString())
                .put("cluster.name", "streaming-orders-local")
                .put("node.name", "local")
                .put("discovery.type", "single-node")
                .put("network.host", "127.0.0.1")
                .put("http.port", options.port)
                .put("transport.port", 0)
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                .put("thread_pool.write.size", options.writeThreads)
                .put("thread_pool.write.queue_size", options.writeQueueSize)
                .put("plugins.security.ssl.transport.pemcert_filepath", "node.pem")
                .put("plugins.security.ssl.transport.pemkey_filepath", "node-key.pem")
                .put("plugins.security.ssl.transport.pemtrustedcas_filepath", "ca.pem")
                .put("plugins.security.ssl.http.enabled", false)
                .put("plugins.security.allow_default_init_securityindex", true)
                .putList("plugins.security.authcz.admin_dn", Certificates.ADMIN_DN)
                .putList("plugins.security.nodes_dn", Certificates.NODE_DN)
                .putList("plugins.security.restapi.roles_enabled", "all_access")
                .put("plugins.security.compliance.salt", newSecret(12).substring(0, 16))
                .put("plugins.security.audit.type", "internal_opensearch")  // audit events in security-auditlog-*
                .build();
    }

    /** A node with the modules and the security plugin on its classpath, as OpenSearch's MockNode. */
    private static final class LocalNode extends Node {
        LocalNode(Environment environment) throws ClassNotFoundException {
            super(environment, List.of(Netty4Plugin.class, MapperExtrasPlugin.class, CommonAnalysisPlugin.class,
                    GeoModulePlugin.class,
                    Class.forName(SECURITY_PLUGIN).asSubclass(Plugin.class)), true);
        }
    }

    private record Options(int port, int writeThreads, int writeQueueSize, Path securityPlugin) {
        static Options parse(String[] args) {
            int port = 9200;
            int writeThreads = Runtime.getRuntime().availableProcessors(); // OpenSearch's default
            int writeQueueSize = 10_000;
            Path securityPlugin = null;
            for (int i = 0; i + 1 < args.length; i += 2) {
                switch (args[i]) {
                    case "--port" -> port = Integer.parseInt(args[i + 1]);
                    case "--write-threads" -> writeThreads = Integer.parseInt(args[i + 1]);
                    case "--write-queue-size" -> writeQueueSize = Integer.parseInt(args[i + 1]);
                    case "--security-plugin" -> securityPlugin = Path.of(args[i + 1]);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (args.length % 2 != 0 || securityPlugin == null) {
                throw new IllegalArgumentException(
                        "usage: LocalOpenSearch --security-plugin DIR [--port N] [--write-threads N] [--write-queue-size N]");
            }
            return new Options(port, writeThreads, writeQueueSize, securityPlugin);
        }
    }

    private static String newSecret(int bytes) {
        byte[] random = new byte[bytes];
        new SecureRandom().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    /** Waits until the admin is answered: the security index is initialised a moment after start. */
    private static void awaitAnswer(String url, String password) throws InterruptedException {
        HttpClient client = HttpClient.newHttpClient();
        String basic = Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/_cluster/health?wait_for_status=yellow"))
                .header("Authorization", "Basic " + basic).timeout(Duration.ofSeconds(30)).build();
        while (true) {
            try {
                if (client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // the HTTP port opens a moment after start()
            }
            Thread.sleep(200);
        }
    }

    private static void deleteRecursively(Path folder) throws IOException {
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private static final String LOG_CONFIG = """
            status = error
            appender.file.type = File
            appender.file.name = file
            appender.file.fileName = ${sys:opensearch.logs.base_path}${sys:file.separator}opensearch.log
            appender.file.layout.type = PatternLayout
            appender.file.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
            rootLogger.level = info
            rootLogger.appenderRef.file.ref = file
            """;
}
