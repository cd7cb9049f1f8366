package dev.berth.protocols.docker;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * RFC 3339 text of an instant, exactly as {@link Instant#toString} writes it (UTC, "Z", a fraction
 * of 3, 6 or 9 digits when there is one), written digit by digit: with DateTimeFormatter,
 * formatting CreatedAt was a fifth of the cost of a List of 10,000 volumes. Years outside
 * 1970-9999 are left to the JDK.
 */
final class Rfc3339 {
    private static final long YEAR_10000 = 253_402_300_800L;

    private Rfc3339() {
    }

    static String format(Instant t) {
        long seconds = t.getEpochSecond();
        if (seconds < 0 || seconds >= YEAR_10000) {
            return t.toString();
        }
        LocalDateTime d = LocalDateTime.ofEpochSecond(seconds, 0, ZoneOffset.UTC);
        char[] c = new char[30];
        int i = digits(c, 0, d.getYear(), 4);
        c[i++] = '-';
        i = digits(c, i, d.getMonthValue(), 2);
        c[i++] = '-';
        i = digits(c, i, d.getDayOfMonth(), 2);
        c[i++] = 'T';
        i = digits(c, i, d.getHour(), 2);
        c[i++] = ':';
        i = digits(c, i, d.getMinute(), 2);
        c[i++] = ':';
        i = digits(c, i, d.getSecond(), 2);
        int nano = t.getNano();
        if (nano != 0) {
            c[i++] = '.';
            if (nano % 1_000_000 == 0) {
                i = digits(c, i, nano / 1_000_000, 3);
            } else if (nano % 1_000 == 0) {
                i = digits(c, i, nano / 1_000, 6);
            } else {
                i = digits(c, i, nano, 9);
            }
        }
        c[i++] = 'Z';
        return new String(c, 0, i);
    }

    /** Writes {@code value} as exactly {@code width} decimal digits at {@code at}; returns the next index. */
    private static int digits(char[] c, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            c[i] = (char) ('0' + value % 10);
            value /= 10;
        }
        return at + width;
    }
}
