package dev.berth.core.model;

import dev.berth.core.error.InvalidArgument;
import java.util.regex.Pattern;

/**
 * Validation of every user-supplied identifier before it can reach a path, a store key or a
 * command line. Docker-compatible: a letter or digit first, then letters, digits, '_', '.', '-'.
 */
public final class Names {
    public static final int MAX_LENGTH = 128;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    private Names() {
    }

    /** Validates a volume name; returns it unchanged. */
    public static String volume(String name) {
        return check("volume name", name);
    }

    /** Validates a service name (same rules as volume names). */
    public static String service(String name) {
        return check("service name", name);
    }

    /** Validates a snapshot name (same rules as volume names; unique per volume). */
    public static String snapshot(String name) {
        return check("snapshot name", name);
    }

    /** Validates a node id (same rules as volume names). */
    public static String node(String name) {
        return check("node id", name);
    }

    private static String check(String what, String value) {
        String hint = "use 1-" + MAX_LENGTH + " characters: letters, digits, '_', '.', '-', "
                + "starting with a letter or digit";
        if (value == null || value.isEmpty()) {
            throw new InvalidArgument(what + " is missing", hint);
        }
        if (value.indexOf('\0') >= 0) {
            throw new InvalidArgument(what + " contains a NUL character", hint);
        }
        String shown = value.length() > 40 ? value.substring(0, 40) + "…" : value;
        if (value.length() > MAX_LENGTH) {
            throw new InvalidArgument(what + " '" + shown + "' is " + value.length()
                    + " characters long, the limit is " + MAX_LENGTH, hint);
        }
        if (value.contains("/")) {
            throw new InvalidArgument(what + " '" + shown + "' contains '/'", hint);
        }
        if (value.contains("..")) {
            throw new InvalidArgument(what + " '" + shown + "' contains '..'", hint);
        }
        if (value.startsWith("-")) {
            throw new InvalidArgument(what + " '" + shown + "' starts with '-'", hint);
        }
        if (!NAME.matcher(value).matches()) {
            throw new InvalidArgument(what + " '" + shown + "' has characters that are not allowed", hint);
        }
        return value;
    }
}
