package dev.berth.core.ha;

import dev.berth.core.error.InvalidArgument;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Controller ids: one per controller process, so a controller that restarts is a new controller.
 * What it owned before (a running task) is then known to be abandoned, not mistaken for its own.
 */
public final class ControllerIds {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,199}");

    private ControllerIds() {
    }

    /** {@code <name>-<12 random hex digits>}: readable in the store, unique per process start. */
    public static String fresh(String name) {
        String random = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String cleaned = name.replaceAll("[^A-Za-z0-9_.-]", "-");
        String prefix = cleaned.isEmpty() || !Character.isLetterOrDigit(cleaned.charAt(0)) ? "controller" : cleaned;
        return check(prefix.substring(0, Math.min(prefix.length(), 180)) + "-" + random);
    }

    public static String check(String id) {
        if (id == null || !VALID.matcher(id).matches()) {
            throw new InvalidArgument("controller id '" + id + "' is not valid",
                    "use 1-200 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
        return id;
    }
}
