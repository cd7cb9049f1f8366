package dev.berth.protocols.http;

import dev.berth.core.error.InvalidArgument;
import java.time.Duration;

/**
 * What one listener allows a connection (docs/api.md, "Connections"). {@code headerTimeout}: a new
 * connection must deliver its first request's line and headers within it, and a request whose
 * headers arrived must deliver its body within it again. {@code idleTimeout}: after a reply, a
 * connection must start its next request within it (dockerd keeps idle connections to plugins and
 * simply opens a new one). {@code maxConnections}: connections open at once; beyond it, new
 * connections are closed at once. Time spent by Berth on a request is never limited here.
 */
public record HttpLimits(Duration headerTimeout, Duration idleTimeout, int maxConnections) {
    public static final HttpLimits DEFAULT = new HttpLimits(Duration.ofSeconds(20), Duration.ofMinutes(2), 1024);

    public HttpLimits {
        if (headerTimeout == null || headerTimeout.toMillis() < 1) {
            throw new InvalidArgument("the request header timeout must be at least 1ms, not " + headerTimeout,
                    "use e.g. 20s");
        }
        if (idleTimeout == null || idleTimeout.toMillis() < 1) {
            throw new InvalidArgument("the idle connection timeout must be at least 1ms, not " + idleTimeout,
                    "use e.g. 2m");
        }
        if (maxConnections < 1) {
            throw new InvalidArgument("the connection limit must be at least 1, not " + maxConnections, "use e.g. 1024");
        }
    }
}
