package streamingorders.flink;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * A decimal's text rounded half-up to a scale, as the order document writes money (SQL's CAST to
 * DECIMAL(precision, scale)). Every sale line has 15 money fields, each checked by validation and
 * rounded by the document. The usual text (an optional minus, digits, an optional fraction; at most
 * 18 digits once scaled) is rounded in a long, anything else by BigDecimal, with the same result.
 * Neither costs more than the text's length: a magnitude is looked at before any digit is expanded
 * or divided (a BigDecimal's work grows faster than its digits).
 */
public final class Decimals {
    private static final int LONG_DIGITS = 18;  // any 18-digit number fits a long
    private static final long[] POWERS_OF_TEN = new long[LONG_DIGITS + 1];

    static {
        POWERS_OF_TEN[0] = 1;
        for (int i = 1; i < POWERS_OF_TEN.length; i++) {
            POWERS_OF_TEN[i] = POWERS_OF_TEN[i - 1] * 10;
        }
    }

    private Decimals() {
    }

    /**
     * `text` rounded half-up (away from zero) to `scale` digits after the point, as plain text
     * ("-0.004" to scale 2 is "0.00"); null when it then has more than `precision` digits.
     * NumberFormatException when `text` is not a number.
     */
    public static String rounded(String text, int scale, int precision) {
        int length = text.length();
        int start = length > 0 && text.charAt(0) == '-' ? 1 : 0;
        long unscaled = 0;
        int digits = 0;
        int point = -1;
        for (int i = start; i < length; i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                unscaled = unscaled * 10 + (c - '0');
                digits++;
            } else if (c == '.' && point < 0 && i > start && i < length - 1) {
                point = i;
            } else {
                return roundedBig(text, scale, precision);
            }
        }
        int fractionDigits = point < 0 ? 0 : length - 1 - point;
        if (digits == 0 || digits + Math.max(scale - fractionDigits, 0) > LONG_DIGITS || scale > LONG_DIGITS) {
            return roundedBig(text, scale, precision);
        }
        long magnitude;
        if (fractionDigits <= scale) {
            magnitude = unscaled * POWERS_OF_TEN[scale - fractionDigits];
        } else {
            long divisor = POWERS_OF_TEN[fractionDigits - scale];
            magnitude = unscaled / divisor;
            if ((unscaled % divisor) * 2 >= divisor) {
                magnitude++;
            }
        }
        if (digitCount(magnitude) > precision) {
            return null;
        }
        return plain(start == 1 && magnitude != 0, magnitude, scale);
    }

    private static String roundedBig(String text, int scale, int precision) {
        String shortened = shortened(text, scale, precision);
        if (shortened == null) {
            return null;
        }
        BigDecimal number = new BigDecimal(shortened);
        if (roundsToZero(number, scale)) {
            return zero(scale);
        }
        if (integerDigits(number) > precision - scale) {
            return null;
        }
        BigDecimal rounded = number.setScale(scale, RoundingMode.HALF_UP);
        return rounded.precision() > precision ? null : rounded.toPlainString();
    }

    /**
     * `number` as plain text when its magnitude may fit DECIMAL(precision, scale) (`rounded` then
     * says whether it does), "0.00" (at the scale) when it rounds to zero, null when it is too large.
     */
    public static String plainText(BigDecimal number, int scale, int precision) {
        if (roundsToZero(number, scale)) {
            return zero(scale);
        }
        return integerDigits(number) > precision - scale ? null : number.toPlainString();
    }

    /** d such that 10^(d-1) <= |number| < 10^d, for a number that is not zero; from its scale, not its digits. */
    private static long integerDigits(BigDecimal number) {
        return (long) number.precision() - number.scale();
    }

    /** Whether |number| < 10^-(scale+1): below half a unit of the scale, so rounding gives zero. */
    private static boolean roundsToZero(BigDecimal number, int scale) {
        return number.signum() == 0 || integerDigits(number) < -scale;
    }

    private static String zero(int scale) {
        return BigDecimal.ZERO.setScale(scale).toPlainString();
    }

    /**
     * A plain decimal text (`-?digits(.digits)?`) without leading zeros and with at most scale + 1
     * fraction digits: rounding half up to `scale` looks at no digit beyond the first one it drops;
     * null when more than precision - scale digits are left before the point (too large, and
     * BigDecimal's parsing grows with the square of the digits). Any other text is returned as it
     * is (BigDecimal reads an exponent without expanding it).
     */
    private static String shortened(String text, int scale, int precision) {
        if (text.indexOf('e') >= 0 || text.indexOf('E') >= 0) {
            return text;
        }
        int start = text.startsWith("-") ? 1 : 0;
        int point = text.indexOf('.');
        int end = point < 0 ? text.length() : Math.min(text.length(), point + 2 + scale);
        int firstDigit = start;
        while (firstDigit < (point < 0 ? text.length() : point) - 1 && text.charAt(firstDigit) == '0') {
            firstDigit++;
        }
        if ((point < 0 ? text.length() : point) - firstDigit > precision - scale) {
            return null;
        }
        if (firstDigit == start && end == text.length()) {
            return text;
        }
        return (start == 1 ? "-" : "") + text.substring(firstDigit, end);
    }

    /** Digits of `magnitude` (>= 0) as BigDecimal counts its precision: 0 has one. */
    private static int digitCount(long magnitude) {
        int count = 1;
        while (count < POWERS_OF_TEN.length && magnitude >= POWERS_OF_TEN[count]) {
            count++;
        }
        return count;
    }

    private static String plain(boolean negative, long magnitude, int scale) {
        StringBuilder text = new StringBuilder(24);
        if (negative) {
            text.append('-');
        }
        text.append(magnitude / POWERS_OF_TEN[scale]);
        if (scale > 0) {
            String fraction = Long.toString(magnitude % POWERS_OF_TEN[scale]);
            text.append('.');
            for (int i = fraction.length(); i < scale; i++) {
                text.append('0');
            }
            text.append(fraction);
        }
        return text.toString();
    }
}
