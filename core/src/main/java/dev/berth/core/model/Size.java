package dev.berth.core.model;

import dev.berth.core.error.InvalidArgument;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes as users write them: {@code 512M}, {@code 1G}, {@code 10GiB}, {@code 1048576}. Units are
 * binary (K = KiB = 1024), as Docker and REX-Ray users expect of block volumes.
 */
public final class Size {
    /** Smallest volume Berth creates: mkfs.xfs needs 300 MiB, ext4 a few MiB; 16 MiB keeps ext4 usable. */
    public static final long MIN_BYTES = 16L << 20;
    private static final Pattern FORM = Pattern.compile("(\\d{1,19})\\s*([KMGTP]?)(I?B?)?");
    private static final String HINT = "write a size like 512M, 1G or 10GiB (binary units K, M, G, T, P)";

    private Size() {
    }

    public static long parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidArgument("size is missing", HINT);
        }
        String t = text.strip();
        if (t.length() > 32) {
            throw new InvalidArgument("size '" + t.substring(0, 32) + "…' is too long", HINT);
        }
        Matcher m = FORM.matcher(t.toUpperCase(Locale.ROOT));
        if (!m.matches() || ("IB".equals(m.group(3)) && m.group(2).isEmpty())
                || ("I".equals(m.group(3)))) {
            throw new InvalidArgument("size '" + t + "' is not a size", HINT);
        }
        long number;
        try {
            number = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new InvalidArgument("size '" + t + "' is too large", HINT);
        }
        int shift = switch (m.group(2)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            case "P" -> 50;
            default -> 0;
        };
        if (number == 0) {
            throw new InvalidArgument("size '" + t + "' is zero", HINT);
        }
        if (number > (Long.MAX_VALUE >> shift)) {
            throw new InvalidArgument("size '" + t + "' is too large", HINT);
        }
        long bytes = number << shift;
        if (bytes < MIN_BYTES) {
            throw new InvalidArgument("size '" + t + "' is below the minimum of " + format(MIN_BYTES),
                    "ask for at least " + format(MIN_BYTES));
        }
        return bytes;
    }

    /** The shortest exact form: 1073741824 -> "1G", 1536 MiB -> "1536M". */
    private static final String[] UNITS = {"", "K", "M", "G", "T", "P"};

    public static String format(long bytes) {
        String[] units = UNITS;
        int i = 0;
        long v = bytes;
        while (i < units.length - 1 && v != 0 && v % 1024 == 0) {
            v /= 1024;
            i++;
        }
        return v + units[i];
    }

    /** A rounded, readable form for people: 1073741824 -> "1.0 GiB", 512 -> "512 B". */
    public static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int i = 0;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return i == 0 ? bytes + " B" : String.format(java.util.Locale.ROOT, "%.1f %s", v, units[i]);
    }
}
