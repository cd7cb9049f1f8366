package dev.berth.host;

import dev.berth.core.error.InvalidArgument;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Checks every path before it reaches a tool's command line or the filesystem: absolute,
 * normalized (no "." or ".." parts), no control characters. An absolute path can never start with
 * '-', so no path can be mistaken for an option.
 */
public final class HostPaths {
    private static final Pattern LOOP_DEVICE = Pattern.compile("/dev/loop[0-9]{1,6}");

    private HostPaths() {
    }

    /** Returns {@code path} if it is absolute, normalized and free of control characters. */
    public static Path check(String what, Path path) {
        if (path == null) {
            throw new InvalidArgument(what + " is missing", "give an absolute path");
        }
        String text = path.toString();
        if (!path.isAbsolute()) {
            throw new InvalidArgument(what + " '" + text + "' is not an absolute path", "write it starting with '/'");
        }
        if (!path.equals(path.normalize())) {
            throw new InvalidArgument(what + " '" + text + "' is not normalized (it has '.' or '..' parts)",
                    "write it as " + path.normalize());
        }
        if (text.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new InvalidArgument(what + " contains a control character", "rename it");
        }
        return path;
    }

    /**
     * Parses a path written by a user (configuration, options): it must already be in normal form,
     * so "/a//b", "/a/" and "/a/./b" are refused with the form to write instead.
     */
    public static Path parse(String what, String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidArgument(what + " is missing", "give an absolute path");
        }
        Path path;
        try {
            path = Path.of(text);
        } catch (InvalidPathException e) {
            throw new InvalidArgument(what + " '" + text + "' is not a valid path: " + e.getReason(), "fix the path");
        }
        check(what, path);
        if (!text.equals(path.toString())) {
            throw new InvalidArgument(what + " '" + text + "' is not normalized", "write it as " + path);
        }
        return path;
    }

    /** Returns {@code device} if it is a loop device node path, /dev/loopN. */
    public static Path loopDevice(Path device) {
        check("loop device", device);
        if (!LOOP_DEVICE.matcher(device.toString()).matches()) {
            throw new InvalidArgument("'" + device + "' is not a loop device", "give a path like /dev/loop0");
        }
        return device;
    }
}
