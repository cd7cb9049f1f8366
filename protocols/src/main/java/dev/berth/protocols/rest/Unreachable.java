package dev.berth.protocols.rest;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.Forbidden;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.Unavailable;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;

/**
 * Why a client could not connect, in words: the transport's own exceptions say "null" (a missing
 * unix socket is a FileNotFoundException without a message) or "connect(..) failed with
 * error(-111)". For the unix socket the file itself is looked at, which tells more than the error.
 *
 * <p>A server that cannot be reached is {@link Unavailable} (HTTP 503, exit code 7), as a state
 * store that cannot be reached is: the same call may work later or through another controller.
 * Two cases are not: permission denied on the socket ({@link Forbidden}), and a path that is no
 * socket at all (a wrong --socket, {@link BackendFailure} as before).
 */
final class Unreachable {
    private static final String SERVE = "is `berth serve` running?";

    private Unreachable() {
    }

    static BerthException socket(Path socket, Throwable cause) {
        String at = "cannot reach Berth at " + socket + ": ";
        String other = "give the daemon's socket with --socket, BERTH_SOCKET or the socket key of the config file";
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(socket, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return new Unavailable(at + "no such socket",
                    SERVE + " It creates " + socket + " when it starts; if it runs elsewhere, " + other, cause);
        } catch (IOException e) {
            return new BackendFailure(at + e.getMessage(), other, cause);
        }
        if (!attrs.isOther()) {
            return new BackendFailure(at + "it is " + (attrs.isDirectory() ? "a folder" : "a regular file") + ", not a socket",
                    other, cause);
        }
        if (mentions(cause, "permission denied") || !Files.isWritable(socket)) {
            return new Forbidden(at + "permission denied (the socket belongs to " + owner(socket) + ")",
                    "run the command as root (e.g. sudo berth ...), or use the TCP API with a token: --host https://HOST:7979",
                    cause);
        }
        if (has(cause, ConnectException.class) || mentions(cause, "connection refused")) {
            return new Unavailable(at + "nothing listens on it (connection refused)",
                    SERVE + " The socket file is left from a daemon that is not running any more; start `berth serve`",
                    cause);
        }
        return new Unavailable(at + text(cause), SERVE + " Check --socket", cause);
    }

    static BerthException tcp(String where, Throwable cause) {
        String at = "cannot reach Berth at " + where + ": ";
        if (has(cause, UnknownHostException.class)) {
            return new Unavailable(at + "the host name does not resolve (" + text(cause) + ")",
                    "check the host in --host / BERTH_HOST (or controller.url)", cause);
        }
        if (has(cause, NoRouteToHostException.class)) {
            return new Unavailable(at + "no route to the host", "check the address and the network", cause);
        }
        if (has(cause, ConnectException.class) || mentions(cause, "connection refused")) {
            return new Unavailable(at + "connection refused (nothing listens on that port)",
                    SERVE + " A controller listens on api.listen (default 0.0.0.0:7979); check the port in --host", cause);
        }
        if (has(cause, SocketTimeoutException.class)) {
            return new Unavailable(at + "no connection within the connect timeout (" + text(cause) + ")",
                    SERVE + " Check that the host is up and the port is not filtered", cause);
        }
        return new Unavailable(at + text(cause),
                SERVE + " Check --host (and TLS trust: --ca or --fingerprint)", cause);
    }

    /**
     * The connection broke after the request was sent (reset, closed without an answer, read
     * timeout): the server may have done it.
     *
     * @param idempotent true when the call may safely run twice (then it goes on to the next server, if any)
     */
    static BerthException afterSending(String where, String request, Throwable cause, boolean idempotent) {
        String at = "lost the connection to Berth at " + where + " after sending " + request + " (" + text(cause) + ")";
        if (idempotent) {
            return new Unavailable(at, SERVE + " The call may safely be made again", cause);
        }
        return new Unavailable(at + ": it may or may not have been done",
                "look before retrying (e.g. berth volume inspect); a change that may have been done is not sent "
                        + "to another controller by itself", cause);
    }

    private static boolean has(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private static boolean mentions(Throwable t, String words) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getMessage() != null && c.getMessage().toLowerCase(Locale.ROOT).contains(words)) {
                return true;
            }
        }
        return false;
    }

    /** The first message in the chain; the class name when none has one (never "null"). */
    private static String text(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                return c.getMessage();
            }
        }
        return t == null ? "unknown error" : t instanceof FileNotFoundException ? "not found" : t.getClass().getSimpleName();
    }

    private static String owner(Path socket) {
        try {
            return Files.getOwner(socket, LinkOption.NOFOLLOW_LINKS).getName() + ", mode "
                    + java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(socket));
        } catch (IOException | UnsupportedOperationException e) {
            return "another user";
        }
    }
}
