package dev.berth.csi;

import dev.berth.core.error.InvalidArgument;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Where the CSI gRPC server listens: a unix socket. The spec's endpoint form is
 * {@code unix:///abs/path.sock} (the {@code CSI_ENDPOINT} variable); a plain absolute path is
 * accepted too (the {@code csi.socket} key).
 */
public record CsiEndpoint(Path socket) {
    /** sun_path holds 108 bytes with the terminating NUL. */
    public static final int MAX_PATH_BYTES = 107;

    private static final String SCHEME = "unix://";
    private static final String HINT = "pass unix:///<absolute path>.sock or an absolute path ending in .sock"
            + " of at most " + MAX_PATH_BYTES + " bytes, e.g. unix:///run/berth/csi.sock";

    public CsiEndpoint {
        if (socket == null) {
            throw new InvalidArgument("CSI endpoint missing", HINT);
        }
        check(socket.toString(), socket.toString());
        socket = socket.normalize();
    }

    /** @param text {@code unix:///abs/x.sock} or {@code /abs/x.sock} */
    public static CsiEndpoint parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidArgument("CSI endpoint is empty", HINT);
        }
        String path;
        if (text.startsWith(SCHEME)) {
            path = text.substring(SCHEME.length());
        } else if (text.startsWith("/")) {
            path = text;
        } else if (text.contains("://") || text.startsWith("unix:")) {
            throw new InvalidArgument("CSI endpoint " + quote(text) + " is not unix:///<absolute path>", HINT);
        } else {
            throw new InvalidArgument("CSI endpoint " + quote(text) + " is a relative path", HINT);
        }
        check(text, path);
        return new CsiEndpoint(Path.of(path));
    }

    private static void check(String text, String path) {
        if (path.indexOf('\0') >= 0) {
            throw new InvalidArgument("CSI endpoint " + quote(text) + " contains a NUL byte", HINT);
        }
        if (!path.startsWith("/")) {
            throw new InvalidArgument("CSI endpoint " + quote(text) + " is not an absolute path", HINT);
        }
        for (String segment : path.split("/")) {
            if (segment.equals("..") || segment.equals(".")) {
                throw new InvalidArgument("CSI endpoint " + quote(text) + " has a '" + segment + "' segment", HINT);
            }
        }
        if (!path.endsWith(".sock") || path.endsWith("/.sock")) {
            throw new InvalidArgument("CSI endpoint " + quote(text) + " does not end in <name>.sock", HINT);
        }
        int bytes = path.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PATH_BYTES) {
            throw new InvalidArgument("CSI endpoint " + quote(text) + " is " + bytes
                    + " bytes long; a unix socket path holds at most " + MAX_PATH_BYTES, HINT);
        }
    }

    private static String quote(String text) {
        return "'" + dev.berth.core.log.LogText.quoted(text.length() > 200 ? text.substring(0, 200) + "…" : text) + "'";
    }

    /** The {@code unix://} form, as orchestrators write it. */
    public String uri() {
        return SCHEME + socket;
    }

    @Override
    public String toString() {
        return uri();
    }
}
