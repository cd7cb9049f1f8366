package dev.berth.drivers;

import dev.berth.core.error.InvalidArgument;
import dev.berth.host.HostPaths;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Checks a driver's configured options: only known names, paths absolute and normalized. */
public final class DriverOptions {
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

    /** The path in option {@code name}, or {@code fallback} when it is not set. */
    public static Path path(String kind, Map<String, String> options, String name, Path fallback) {
        String text = options.get(name);
        return text == null ? fallback : HostPaths.parse(kind + " driver option '" + name + "'", text);
    }
}
