package streamingorders.flink;

import java.io.IOException;
import java.util.Arrays;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.SimpleStreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;

/**
 * The records of a bus file (CONTRACT.md §5): its lines as bytes, each ended by LF (a CR right
 * before the LF is dropped too); a lone CR is data. Bytes, not text, so that validation sees what
 * was written and dead-letters what is not UTF-8. Flink's TextLineInputFormat ends a line at a
 * bare CR as well (splitting one record into two) and decodes bad bytes to U+FFFD silently.
 */
public final class JsonLinesFormat extends SimpleStreamFormat<byte[]> {
    private static final int BUFFER_SIZE = 64 * 1024;

    @Override
    public Reader<byte[]> createReader(Configuration config, FSDataInputStream stream) {
        return new LineReader(stream);
    }

    @Override
    public TypeInformation<byte[]> getProducedType() {
        return PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO;
    }

    private static final class LineReader implements Reader<byte[]> {
        private final FSDataInputStream stream;
        private final byte[] buffer = new byte[BUFFER_SIZE];
        private int position;
        private int limit;
        private byte[] partial = new byte[0];  // the start of a line that runs past the buffer
        private int partialLength;

        LineReader(FSDataInputStream stream) {
            this.stream = stream;
        }

        /** The next line without its ending, or null at the end of the file. */
        @Override
        public byte[] read() throws IOException {
            while (true) {
                for (int i = position; i < limit; i++) {
                    if (buffer[i] == '\n') {
                        byte[] line = lineEndingAt(i);
                        position = i + 1;
                        return line;
                    }
                }
                append(position, limit);
                position = 0;
                limit = stream.read(buffer, 0, buffer.length);
                if (limit < 0) {
                    limit = 0;
                    if (partialLength == 0) {
                        return null;
                    }
                    byte[] last = Arrays.copyOf(partial, partialLength);
                    partialLength = 0;
                    return last;
                }
            }
        }

        /** The line whose LF is at `end` of the buffer, without a CR right before that LF. */
        private byte[] lineEndingAt(int end) {
            int length = partialLength + end - position;
            byte last = end > position ? buffer[end - 1] : length > 0 ? partial[partialLength - 1] : 0;
            if (last == '\r') {
                length--;
            }
            byte[] line = new byte[length];
            int fromPartial = Math.min(partialLength, length);
            System.arraycopy(partial, 0, line, 0, fromPartial);
            System.arraycopy(buffer, position, line, fromPartial, length - fromPartial);
            partialLength = 0;
            return line;
        }

        private void append(int from, int to) {
            int length = to - from;
            if (partialLength + length > partial.length) {
                partial = Arrays.copyOf(partial, Math.max(2 * partial.length, partialLength + length));
            }
            System.arraycopy(buffer, from, partial, partialLength, length);
            partialLength += length;
        }

        @Override
        public void close() throws IOException {
            stream.close();
        }
    }
}
