package dev.berth.protocols.http;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Router error handlers for every 4xx and 5xx status, in the protocol's own error shape: what
 * Vert.x Web refuses before a route (a path not starting with '/', such as {@code OPTIONS *}, a bad
 * %-escape, a body over the limit) gets the same kind of answer as a route's own refusal, and no
 * SEVERE log. A client that went away (mid-body, for instance) is logged at FINE: it is not a
 * server error. Only a real failure inside Berth is logged at SEVERE.
 */
public final class RouteErrors {
    private static final Logger LOG = Logger.getLogger(RouteErrors.class.getName());

    private RouteErrors() {
    }

    /**
     * Installs the handlers; a router may override single statuses afterwards with messages of its own.
     *
     * @param hint the hint of "no such route" and other request errors (where the routes are documented)
     */
    public static void install(Router router, ErrorReply errors, String hint) {
        for (int status = 400; status < 600; status++) {
            int s = status;
            router.errorHandler(s, ctx -> handle(ctx, s, errors, hint));
        }
        // BodyHandler fails a request whose stream broke (the client went away mid-body) with 200.
        router.errorHandler(200, ctx -> handle(ctx, 500, errors, hint));
    }

    /**
     * A route handler that refuses a query string that cannot be decoded (a bad %-escape) with 400
     * before a route reads a parameter: Vert.x throws from inside the route otherwise, a 500.
     */
    public static void checkQuery(RoutingContext ctx) {
        try {
            ctx.request().params();
        } catch (IllegalArgumentException e) {
            ctx.fail(400, e);
            return;
        }
        ctx.next();
    }

    private static void handle(RoutingContext ctx, int status, ErrorReply errors, String hint) {
        HttpServerResponse response = ctx.response();
        if (response.ended()) {
            return;
        }
        Throwable failure = ctx.failure();
        String request = ctx.request().method() + " " + ctx.request().uri();
        if (response.closed() || clientWentAway(failure)) {
            LOG.fine(() -> "the client closed the connection during " + request
                    + (failure == null ? "" : " (" + failure + ")"));
            return;
        }
        BerthException error;
        if (failure instanceof BerthException known) {
            error = known;
        } else if (status >= 500) {
            LOG.log(Level.SEVERE, "internal error during " + request, failure);
            error = new BackendFailure("internal error: " + failure, "see the server log");
        } else if (status == 404) {
            error = new NotFound("no route " + request, hint);
        } else if (status == 400) {
            error = new InvalidArgument("the request is malformed (a bad %-escape in its path or query, or no Host header)"
                    + (failure == null || failure.getMessage() == null ? "" : ": " + failure.getMessage()), hint);
        } else {
            String reason = HttpResponseStatus.valueOf(status).reasonPhrase();
            error = new InvalidArgument("the request was refused: " + reason
                    + (failure == null || failure.getMessage() == null ? "" : " (" + failure.getMessage() + ")"), hint);
        }
        errors.send(response, status, error);
    }

    private static boolean clientWentAway(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof HttpClosedException || t instanceof IOException) {
                return true;
            }
        }
        return false;
    }
}
