package dev.berth.core.service;

import dev.berth.core.error.InvalidArgument;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Checks a path an orchestrator hands in (a staging or target path) before Berth mounts anything
 * there: absolute, normalised (no {@code .} or {@code ..} segments, no doubled slashes), no NUL or
 * control characters, at most 4096 bytes, and never Berth's own mount root or state folder, or
 * inside them (a bind there would hide or expose Berth's own mounts and records).
 */
public final class CallerPaths {
    public static final int MAX_BYTES = 4096;
    private final java.util.List<Path> reserved;

    /** @param reserved folders no caller path may be or be inside (mount root, state dir) */
    public CallerPaths(java.util.List<Path> reserved) {
        this.reserved = reserved.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    }

    public Path check(String what, String text) {
        if (text == null || text.isEmpty()) {
            throw new InvalidArgument(what + " is missing", "pass an absolute path");
        }
        if (text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw new InvalidArgument(what + " is longer than " + MAX_BYTES + " bytes", "pass a shorter path");
        }
        for (int i = 0; i < text.length(); i++) {
            if (Character.isISOControl(text.charAt(i))) {
                throw new InvalidArgument(what + " contains a control character", "pass a plain absolute path");
            }
        }
        if (!text.startsWith("/")) {
            throw new InvalidArgument(what + " '" + shown(text) + "' is not absolute", "pass an absolute path");
        }
        Path p;
        try {
            p = Path.of(text);
        } catch (InvalidPathException e) {
            throw new InvalidArgument(what + " '" + shown(text) + "' is not a valid path", "pass an absolute path");
        }
        if (!p.normalize().toString().equals(text) || text.endsWith("/") && text.length() > 1) {
            throw new InvalidArgument(what + " '" + shown(text) + "' is not in normal form (., .., // or a trailing /)",
                    "pass the path as " + p.normalize());
        }
        if (p.getNameCount() < 2) {
            throw new InvalidArgument(what + " '" + shown(text) + "' is a top-level folder",
                    "pass a path below a folder of the orchestrator's");
        }
        for (Path r : reserved) {
            if (p.startsWith(r) || r.startsWith(p)) {
                throw new InvalidArgument(what + " '" + shown(text) + "' overlaps Berth's own folder " + r,
                        "pass a path outside " + r);
            }
        }
        return p;
    }

    private static String shown(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }
}
