package streamingorders.flink;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * The instant of a timestamp in the contract's form, `yyyy-MM-ddTHH:mm:ss[.fraction](Z|±HH:MM)`
 * (ValidateRecords checks the form first), read by position. OffsetDateTime.parse gives the same
 * instant, but its formatter is slow on the hot path (docs/performance.md).
 */
final class Timestamps {
    private static final int FRACTION = 19;  // where the optional fraction starts

    private Timestamps() {
    }

    /**
     * Milliseconds since the epoch (the fraction truncated to them, as Instant.toEpochMilli does);
     * DateTimeException when a field is out of range (February 30, hour 24, an offset beyond 18 hours).
     */
    static long epochMillis(String timestamp) {
        LocalDateTime local = LocalDateTime.of(number(timestamp, 0, 4), number(timestamp, 5, 2),
                number(timestamp, 8, 2), number(timestamp, 11, 2), number(timestamp, 14, 2), number(timestamp, 17, 2));
        int position = FRACTION;
        int millis = 0;
        if (timestamp.charAt(position) == '.') {
            int start = ++position;
            while (Character.isDigit(timestamp.charAt(position))) {
                position++;
            }
            for (int i = start; i < start + 3; i++) {
                millis = millis * 10 + (i < position ? timestamp.charAt(i) - '0' : 0);
            }
        }
        ZoneOffset offset = ZoneOffset.UTC;
        if (timestamp.charAt(position) != 'Z') {
            int sign = timestamp.charAt(position) == '-' ? -1 : 1;
            offset = ZoneOffset.ofHoursMinutes(sign * number(timestamp, position + 1, 2),
                    sign * number(timestamp, position + 4, 2));
        }
        return local.toEpochSecond(offset) * 1000 + millis;
    }

    /** DateTimeException unless `date`, `yyyy-MM-dd`, names a day of the calendar (not February 30). */
    static void checkDate(String date) {
        LocalDate.of(number(date, 0, 4), number(date, 5, 2), number(date, 8, 2));
    }

    private static int number(String text, int start, int length) {
        int value = 0;
        for (int i = start; i < start + length; i++) {
            value = value * 10 + text.charAt(i) - '0';
        }
        return value;
    }
}
