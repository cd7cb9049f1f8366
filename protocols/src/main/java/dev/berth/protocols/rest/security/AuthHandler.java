package dev.berth.protocols.rest.security;

import dev.berth.core.error.BerthException;
import dev.berth.core.error.Unauthenticated;
import dev.berth.protocols.http.Json;
import dev.berth.protocols.rest.RestErrors;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * Guards the TCP routes: verifies the bearer token and puts the {@link Principal} into the context
 * under {@value #PRINCIPAL}, or answers 401/403 with the REST error body. It knows nothing about
 * routes; per-service checks belong to the route code ({@link TokenVerifier#authorize}). With auth
 * disabled it passes every request on.
 */
public final class AuthHandler implements Handler<RoutingContext> {
    public static final String PRINCIPAL = "principal";
    private final TokenVerifier verifier;

    public AuthHandler(TokenVerifier verifier) {
        this.verifier = verifier;
    }

    /** The principal the handler stored; null when auth is disabled (or the handler did not run). */
    public static Principal principal(RoutingContext ctx) {
        return ctx.get(PRINCIPAL);
    }

    @Override
    public void handle(RoutingContext ctx) {
        if (!verifier.enabled()) {
            ctx.next();
            return;
        }
        String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        Principal p;
        try {
            p = verifier.verify(header);
        } catch (BerthException e) {
            reject(ctx, e, header != null);
            return;
        }
        ctx.put(PRINCIPAL, p);
        ctx.next();
    }

    private static void reject(RoutingContext ctx, BerthException e, boolean tokenSent) {
        var resp = ctx.response().setStatusCode(RestErrors.status(e)).putHeader("Content-Type", "application/json");
        if (e instanceof Unauthenticated) {
            // RFC 6750 §3: no error attribute when the request carried no credentials at all.
            resp.putHeader("WWW-Authenticate",
                    tokenSent ? "Bearer realm=\"berth\", error=\"invalid_token\"" : "Bearer realm=\"berth\"");
        }
        resp.end(Json.write(RestErrors.body(e)));
    }
}
