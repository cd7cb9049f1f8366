package dev.berth.core.model;

import dev.berth.core.error.InvalidArgument;
import java.util.Map;
import java.util.TreeMap;

/** User labels on a volume: bounded in count and size so they cannot bloat the state store. */
public final class Labels {
    public static final int MAX_COUNT = 64;
    public static final int MAX_KEY = 128;
    public static final int MAX_VALUE = 1024;

    private Labels() {
    }

    public static Map<String, String> check(Map<String, String> labels) {
        if (labels == null || labels.isEmpty()) {
            return Map.of();
        }
        if (labels.size() > MAX_COUNT) {
            throw new InvalidArgument(labels.size() + " labels given, the limit is " + MAX_COUNT, "drop some labels");
        }
        TreeMap<String, String> copy = new TreeMap<>();
        labels.forEach((k, v) -> {
            if (k == null || k.isEmpty() || k.length() > MAX_KEY || k.indexOf('\0') >= 0) {
                throw new InvalidArgument("label key '" + k + "' is empty, too long or has a NUL",
                        "use keys of 1-" + MAX_KEY + " characters");
            }
            String value = v == null ? "" : v;
            if (value.length() > MAX_VALUE || value.indexOf('\0') >= 0) {
                throw new InvalidArgument("label '" + k + "' has a value that is too long or has a NUL",
                        "keep label values under " + MAX_VALUE + " characters");
            }
            copy.put(k, value);
        });
        return Map.copyOf(copy);
    }
}
