package streamingorders.flink;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonGenerator;

/**
 * Writes the members of a JSON object, without its braces, as UTF-8: a part of the order document
 * that OrderDocuments puts in place. One per task (it reuses its buffer); not serializable.
 */
final class JsonMembers {
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(2048);
    private final JsonGenerator json;

    JsonMembers() {
        try {
            json = new JsonFactory().setRootValueSeparator(null).createGenerator(buffer)
                    .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The generator, inside a new object: write its members, then call {@link #end()}. */
    JsonGenerator start() throws IOException {
        buffer.reset();
        json.writeStartObject();
        return json;
    }

    /** The members written since {@link #start()}. */
    byte[] end() throws IOException {
        json.writeEndObject();
        json.flush();
        byte[] object = buffer.toByteArray();
        return Arrays.copyOfRange(object, 1, object.length - 1);
    }
}
