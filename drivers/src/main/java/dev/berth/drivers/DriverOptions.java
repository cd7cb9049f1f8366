package dev.berth.drivers;

import dev.berth.core.error.InvalidArgument;
import dev.berth.host.HostPaths;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Checks a driver's configured options: only known names, paths absolute and normalized. */
public final class DriverOptions {
    private static final Pattern DECIMAL = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3})?");

    private DriverOptions() {
    }

    /** Returns the options (never null) after refusing any name not in {@code valid}. */
    public static Map<String, String> check(String kind, String service, Map<String, String> options, Set<String> valid) {
        if (options == null) {
            return Map.of();
        }
        for (String name : new TreeSet<>(options.keySet())) {
            if (!valid.contains(name)) {
                throw new InvalidArgument("unknown option '" + name + "' for the " + kind + " driver of service '"
                        + service + "'", "valid options: " + String.join(", ", new TreeSet<>(valid)));
            }
        }
        return options;
    }

    /**
     * The path in option {@code name}, which must be set: where a driver keeps volumes' data is
     * never guessed (a forgotten option would put them in some default folder unnoticed).
     */
    public static Path requiredPath(String kind, String service, Map<String, String> options, String name,
                                    String example) {
        if (!options.containsKey(name)) {
            throw new InvalidArgument("service '" + service + "' uses the " + kind + " driver without option '" + name
                    + "': Berth does not guess where volumes' data goes",
                    "set services." + service + ".options." + name + " to a folder, e.g. " + example);
        }
        return path(kind, options, name, null);
    }

    /**
     * The ratio in option {@code name} (a plain decimal like 1.0 or 2.5, from {@code min} to
     * {@code max}), or {@code fallback} when it is not set.
     */
    public static double ratio(String kind, String service, Map<String, String> options, String name,
                               double fallback, double min, double max) {
        String text = options.get(name);
        if (text == null) {
            return fallback;
        }
        String t = text.strip();
        double value = DECIMAL.matcher(t).matches() ? Double.parseDouble(t) : Double.NaN;
        if (!(value >= min && value <= max)) {
            throw new InvalidArgument("option '" + name + "' of service '" + service + "' (" + kind + " driver) is '"
                    + text + "', not a number from " + min + " to " + max, "write a number like 1.0 or 2.5");
        }
        return value;
    }

    /** The boolean in option {@code name} ("true" or "false"), or {@code fallback} when it is not set. */
    public static boolean bool(String kind, String service, Map<String, String> options, String name, boolean fallback) {
        String text = options.get(name);
        if (text == null) {
            return fallback;
        }
        return switch (text.strip()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidArgument("option '" + name + "' of service '" + service + "' (" + kind
                    + " driver) is '" + text + "', not true or false", "write true or false");
        };
    }

    /** The whole number in option {@code name}, from {@code min} to {@code max}, or {@code fallback} when it is not set. */
    public static int integer(String kind, String service, Map<String, String> options, String name, int fallback,
                              int min, int max) {
        String text = options.get(name);
        if (text == null) {
            return fallback;
        }
        String t = text.strip();
        long value = t.matches("[0-9]{1,9}") ? Long.parseLong(t) : -1;
        if (value < min || value > max) {
            throw new InvalidArgument("option '" + name + "' of service '" + service + "' (" + kind + " driver) is '"
                    + text + "', not a whole number from " + min + " to " + max, "write a number like " + fallback);
        }
        return (int) value;
    }

    /** The path in option {@code name}, or {@code fallback} when it is not set. */
    public static Path path(String kind, Map<String, String> options, String name, Path fallback) {
        String text = options.get(name);
        return text == null ? fallback : HostPaths.parse(kind + " driver option '" + name + "'", text);
    }
}
