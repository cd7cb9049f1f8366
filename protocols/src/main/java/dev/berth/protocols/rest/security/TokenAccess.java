package dev.berth.protocols.rest.security;

import dev.berth.core.error.Forbidden;
import dev.berth.core.error.Unauthenticated;
import dev.berth.protocols.rest.Access;
import io.vertx.ext.web.RoutingContext;

/**
 * {@link Access} by bearer token, for the TCP API: service lists through
 * {@link TokenVerifier#authorize}, and node identity from the token's {@value Principal#NODE}
 * claim. With auth explicitly off there is no principal and nothing is checked.
 */
public final class TokenAccess implements Access {
    /** Paths in messages are cut here: a request line may be 16 KiB long. */
    private static final int SHOWN_PATH = 160;
    private final TokenVerifier verifier;

    public TokenAccess(TokenVerifier verifier) {
        this.verifier = verifier;
    }

    @Override
    public void check(RoutingContext ctx, String service) {
        if (verifier.enabled()) {
            verifier.authorize(AuthHandler.principal(ctx), service);
        }
    }

    @Override
    public void checkNode(RoutingContext ctx, String node) {
        if (verifier.enabled()) {
            requireNode(AuthHandler.principal(ctx), node, ctx.request().method() + " " + ctx.request().path());
        }
    }

    /**
     * Forbidden unless {@code p} is a node token and, for a non-null {@code node}, that node's.
     * {@code route} (method and path) is named in the message.
     */
    static void requireNode(Principal p, String node, String route) {
        if (p == null) {
            throw new Unauthenticated("the request carries no verified token", TokenVerifier.NEW_NODE_TOKEN);
        }
        String shown = route.length() > SHOWN_PATH ? route.substring(0, SHOWN_PATH) + "…" : route;
        if (p.node() == null) {
            throw new Forbidden(shown + " is a node-to-controller route for agents, and subject '" + p.subject()
                    + "' has no node token (its token has no '" + Principal.NODE + "' claim)",
                    "agents use a token bound to their node id: make one on the controller with "
                            + "`berth token new --node ID --key KEY`; users and admins use the /v1/volumes routes");
        }
        if (node != null && !node.equals(p.node())) {
            throw new Forbidden(shown + " acts for node '" + node + "', but subject '" + p.subject()
                    + "' holds the token of node '" + p.node() + "'",
                    "a node token acts only for its own node: give node '" + node + "' its own token "
                            + "(`berth token new --node " + node + " --key KEY`)");
        }
    }
}
