package dev.berth.protocols.http;

import dev.berth.core.error.InvalidArgument;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Guards one listener (all its server instances): HTTP/1.x only, the {@link HttpLimits} on every
 * connection, and malformed requests answered in the protocol's own error shape.
 *
 * <p>A connection is in one phase at a time, with at most one timer: waiting for a request's line
 * and headers (header timeout), for its body (header timeout again), Berth working on it (no timer:
 * its own rules bound that work), or waiting for the next request after the reply (idle timeout).
 * A timer that fires closes the connection. Vert.x's idle timeout is not used: it counts silence
 * in both directions, so it would also cut a connection whose request Berth is still working on,
 * and a client trickling one byte at a time would never reach it. The reply's end is seen through
 * the response's end handler: routes must not set one (RoutingContext body-end handlers are fine).
 */
public final class HttpGuard {
    private static final Logger LOG = Logger.getLogger(HttpGuard.class.getName());
    private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private enum Phase { HEAD, BODY, WORK, IDLE }

    private final String listener;
    private final HttpLimits limits;
    private final ErrorReply errors;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
    private final Map<HttpConnection, Tracked> tracked = new ConcurrentHashMap<>();

    /** @param listener how logs name the listener (its socket path or address) */
    public HttpGuard(String listener, HttpLimits limits, ErrorReply errors) {
        this.listener = listener;
        this.limits = limits;
        this.errors = errors;
    }

    /**
     * A copy of {@code base} that serves HTTP/1.1 (and 1.0) only: no h2c upgrade, no HTTP/2 with
     * prior knowledge, no ALPN (so no h2 over TLS either), and no Vert.x idle timeout (see above).
     * A TLS handshake gets the header timeout too (the guard only sees connections that completed one).
     */
    public HttpServerOptions options(HttpServerOptions base) {
        return new HttpServerOptions(base).setHttp2ClearTextEnabled(false).setUseAlpn(false).setIdleTimeout(0)
                .setSslHandshakeTimeout(Math.max(1, limits.headerTimeout().toMillis()))
                .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
    }

    /** Installs the guard and {@code handler} on {@code server} (one of this listener's instances). */
    public HttpServer attach(Vertx vertx, HttpServer server, Handler<HttpServerRequest> handler) {
        return server.connectionHandler(conn -> connected(vertx, conn))
                .requestHandler(req -> {
                    if (arrived(req)) {
                        handler.handle(req);
                    }
                })
                .invalidRequestHandler(this::invalid);
    }

    /** Connections open now (refused ones count until they are closed). */
    public int openConnections() {
        return open.get();
    }

    public HttpLimits limits() {
        return limits;
    }

    private void connected(Vertx vertx, HttpConnection conn) {
        int now = open.incrementAndGet();
        conn.closeHandler(v -> {
            open.decrementAndGet();
            Tracked t = tracked.remove(conn);
            if (t != null) {
                t.cancel();
            }
        });
        if (now > limits.maxConnections()) {
            refuse();
            conn.close();
            return;
        }
        Tracked t = new Tracked(vertx, conn);
        tracked.put(conn, t);
        t.await(Phase.HEAD);
    }

    /** Moves the connection to BODY or WORK; false for a connection this guard refused. */
    private boolean arrived(HttpServerRequest req) {
        Tracked t = tracked.get(req.connection());
        if (t == null) {
            req.connection().close();
            return false;
        }
        t.current = req;
        if (req.isEnded()) {
            t.work();
        } else {
            t.await(Phase.BODY);
            req.end().onComplete(done -> {
                if (t.current == req && t.phase == Phase.BODY) {
                    t.work();
                }
            });
        }
        req.response().endHandler(v -> {
            if (t.current == req) {
                t.await(Phase.IDLE);
            }
        });
        return true;
    }

    /** What Vert.x could not parse as HTTP/1.x: the protocol's error, then the connection is closed. */
    private void invalid(HttpServerRequest req) {
        Tracked t = tracked.get(req.connection());
        if (t != null) {
            t.work();
        }
        Throwable cause = req.decoderResult().cause();
        int status;
        String why;
        if (cause instanceof TooLongHttpLineException) {
            status = 414;
            why = "the request line is too long";
        } else if (cause instanceof TooLongHttpHeaderException) {
            status = 431;
            why = "the request headers are too large";
        } else {
            status = 400;
            why = "the request is not valid HTTP/1.1"
                    + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage());
        }
        LOG.fine(() -> listener + ": refused a malformed request: " + why);
        req.response().putHeader(HttpHeaders.CONNECTION, "close");
        errors.send(req.response(), status, new InvalidArgument(why, "Berth serves HTTP/1.1 requests (docs/api.md)"));
        req.connection().close();
    }

    /** Closing is silent towards the client; the log says so at most once a minute. */
    private void refuse() {
        refused.incrementAndGet();
        long now = System.nanoTime();
        long last = lastWarning.get();
        if (now - last >= WARN_EVERY_NANOS && lastWarning.compareAndSet(last, now)) {
            LOG.warning(listener + ": " + limits.maxConnections() + " connections are open, the limit "
                    + "(http.maxConnections): closed " + refused.getAndSet(0) + " new connection(s) since the last "
                    + "warning; if these clients are legitimate, raise the limit");
        }
    }

    /** One connection's phase and timer; used only on the connection's event loop. */
    private final class Tracked {
        private final Vertx vertx;
        private final HttpConnection conn;
        private Phase phase = Phase.HEAD;
        private long timer = -1;
        private HttpServerRequest current;

        Tracked(Vertx vertx, HttpConnection conn) {
            this.vertx = vertx;
            this.conn = conn;
        }

        void await(Phase next) {
            cancel();
            phase = next;
            Duration limit = next == Phase.IDLE ? limits.idleTimeout() : limits.headerTimeout();
            timer = vertx.setTimer(Math.max(1, limit.toMillis()), id -> {
                timer = -1;
                if (phase == next) {
                    LOG.fine(() -> listener + ": closing a connection that sent no " + switch (next) {
                        case HEAD -> "complete request line and headers";
                        case BODY -> "complete request body";
                        default -> "new request";
                    } + " within " + limit.toMillis() + " ms");
                    conn.close();
                }
            });
        }

        void work() {
            cancel();
            phase = Phase.WORK;
        }

        void cancel() {
            if (timer != -1) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }
    }
}
