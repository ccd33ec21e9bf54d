package streamingorders.flink;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * One pass over a record's bytes: are they strict UTF-8 (RFC 3629: no overlong form, no encoded
 * surrogate, nothing beyond U+10FFFF), and do they hold a backslash (a JSON escape, the only way a
 * lone surrogate gets into a string once the bytes are UTF-8)? ASCII, most records, is read eight
 * bytes at a time. Jackson's byte parser decodes what is not UTF-8 leniently, and a CharsetDecoder
 * costs a char buffer per record.
 */
final class Utf8 {
    /** {@link #scan}: all UTF-8, no backslash. */
    static final int VALID = -1;
    /** {@link #scan}: all UTF-8, with a backslash. */
    static final int VALID_WITH_ESCAPES = -2;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long LOW_BITS = 0x0101010101010101L;
    private static final long BACKSLASHES = LOW_BITS * '\\';

    private Utf8() {}

    /** VALID, VALID_WITH_ESCAPES, or the offset of the first byte that starts no valid UTF-8 sequence. */
    static int scan(byte[] bytes) {
        int length = bytes.length;
        boolean escapes = false;
        int i = 0;
        while (i < length) {
            if (i + Long.BYTES <= length) {
                long word = (long) LONGS.get(bytes, i);
                if ((word & HIGH_BITS) == 0) {
                    long backslashesZeroed = word ^ BACKSLASHES;  // a byte that was a backslash is now 0
                    escapes |= ((backslashesZeroed - LOW_BITS) & ~backslashesZeroed & HIGH_BITS) != 0;
                    i += Long.BYTES;
                    continue;
                }
            }
            int lead = bytes[i] & 0xFF;
            if (lead < 0x80) {
                escapes |= lead == '\\';
                i++;
                continue;
            }
            int size = sequenceLength(lead);
            if (size == 0 || i + size > length) {
                return i;
            }
            int second = bytes[i + 1] & 0xFF;
            if (second < lowestSecond(lead) || second > highestSecond(lead)) {
                return i;
            }
            for (int k = 2; k < size; k++) {
                if ((bytes[i + k] & 0xC0) != 0x80) {
                    return i;
                }
            }
            i += size;
        }
        return escapes ? VALID_WITH_ESCAPES : VALID;
    }

    /** 2, 3 or 4 for a byte that starts a sequence; 0 for one that cannot (a continuation, C0, C1, F5-FF). */
    private static int sequenceLength(int lead) {
        if (lead >= 0xC2 && lead <= 0xDF) {
            return 2;
        }
        if (lead >= 0xE0 && lead <= 0xEF) {
            return 3;
        }
        return lead >= 0xF0 && lead <= 0xF4 ? 4 : 0;
    }

    /** The second byte's range (RFC 3629 §4): narrower after E0 (overlong), ED (surrogates), F0 (overlong), F4 (beyond U+10FFFF). */
    private static int lowestSecond(int lead) {
        return lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
    }

    private static int highestSecond(int lead) {
        return lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
    }
}
