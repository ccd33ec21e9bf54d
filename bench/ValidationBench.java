import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The validation benchmark's timing loop (bench/validation.py writes its spec): each build's
 * ValidateRecords, loaded from its own jar, parses the same records in turn, round after round, in
 * one JVM, in alternating order. Prints one JSON line per build and round: {"label", "records", "dead", "seconds"}.
 */
public final class ValidationBench {
    /** One build's validators and the records in the form its `parse` takes (text before issue 22, bytes after). */
    private record Build(String label, Map<String, Object> validators, Map<String, List<Object>> records,
                         MethodHandle parse) {}

    public static void main(String[] args) throws Throwable {
        JsonNode spec = new ObjectMapper().readTree(Path.of(args[0]).toFile());
        Map<String, List<byte[]>> records = new LinkedHashMap<>();
        spec.get("records").fields().forEachRemaining(entry -> records.put(entry.getKey(), lines(entry.getValue().asText())));
        List<Build> builds = new ArrayList<>();
        for (JsonNode build : spec.get("builds")) {
            builds.add(load(build, records));
        }
        int warmup = spec.get("warmup").asInt();
        int rounds = spec.get("rounds").asInt();
        for (int round = 0; round < warmup + rounds; round++) {
            // The build that goes second runs about 5% slower (an A/A run shows it): the order alternates.
            List<Build> order = new ArrayList<>(builds);
            if (round % 2 == 1) {
                java.util.Collections.reverse(order);
            }
            for (Build build : order) {
                long start = System.nanoTime();
                long[] counts = run(build);
                double seconds = (System.nanoTime() - start) / 1e9;
                if (round >= warmup) {
                    System.out.printf("{\"label\": \"%s\", \"records\": %d, \"dead\": %d, \"seconds\": %.6f}%n",
                            build.label, counts[0], counts[1], seconds);
                }
            }
        }
    }

    private static List<byte[]> lines(String path) {
        try {
            byte[] bytes = Files.readAllBytes(Path.of(path));
            List<byte[]> lines = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    lines.add(Arrays.copyOfRange(bytes, start, i));
                    start = i + 1;
                }
            }
            return lines;
        } catch (java.io.IOException error) {
            throw new java.io.UncheckedIOException(error);
        }
    }

    private static Build load(JsonNode build, Map<String, List<byte[]>> records) throws Exception {
        URLClassLoader loader = new URLClassLoader(new URL[] {Path.of(build.get("jar").asText()).toUri().toURL()},
                ValidationBench.class.getClassLoader());
        Class<?> validatorClass = loader.loadClass("streamingorders.flink.ValidateRecords");
        Constructor<?> constructor = validatorClass.getConstructor(String.class, String[].class, String[].class,
                String[].class, String.class, int[].class, int[].class);
        Method parse = Arrays.stream(validatorClass.getMethods()).filter(m -> m.getName().equals("parse")).findFirst().orElseThrow();
        boolean text = parse.getParameterTypes()[0] == String.class;
        Map<String, Object> validators = new LinkedHashMap<>();
        Map<String, List<Object>> inputs = new LinkedHashMap<>();
        for (String stream : records.keySet()) {
            JsonNode v = build.get("validators").get(stream);
            validators.put(stream, constructor.newInstance(stream, strings(v.get("names")), strings(v.get("kinds")),
                    strings(v.get("required")), v.get("event_time").asText(), ints(v.get("precisions")), ints(v.get("scales"))));
            List<Object> input = new ArrayList<>();
            for (byte[] line : records.get(stream)) {
                input.add(text ? new String(line, StandardCharsets.UTF_8) : line);
            }
            inputs.put(stream, input);
        }
        return new Build(build.get("label").asText(), validators, inputs, MethodHandles.lookup().unreflect(parse));
    }

    /** {records parsed, dead letters} of one pass over every stream's records. */
    private static long[] run(Build build) throws Throwable {
        long total = 0;
        long dead = 0;
        for (Map.Entry<String, List<Object>> stream : build.records.entrySet()) {
            Object validator = build.validators.get(stream.getKey());
            for (Object record : stream.getValue()) {
                total++;
                try {
                    build.parse.invoke(validator, record);
                } catch (Exception invalid) {  // ValidateRecords.InvalidRecord: a dead letter
                    dead++;
                }
            }
        }
        return new long[] {total, dead};
    }

    private static String[] strings(JsonNode node) {
        String[] values = new String[node.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = node.get(i).asText();
        }
        return values;
    }

    private static int[] ints(JsonNode node) {
        int[] values = new int[node.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = node.get(i).asInt();
        }
        return values;
    }
}
