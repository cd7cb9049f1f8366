package dev.berth.protocols.rest;

import io.vertx.ext.web.RoutingContext;

/**
 * Who may call what. Two rules, checked by the routes: the caller's subject against a service's
 * allow and deny lists, and on the node-to-controller routes ({@code /v1/control}) the caller's
 * node identity. The local unix socket is root-only and {@link #OPEN}; the TCP API checks the
 * caller's token ({@link dev.berth.protocols.rest.security.TokenAccess}).
 */
public interface Access {
    /** No caller identity to check: the root-only local socket (the file mode is the access control). */
    Access OPEN = new Access() {
        @Override
        public void check(RoutingContext ctx, String service) {
        }

        @Override
        public void checkNode(RoutingContext ctx, String node) {
        }
    };

    /** Throws Forbidden when the caller may not use {@code service}. */
    void check(RoutingContext ctx, String service);

    /**
     * Throws Forbidden unless the caller speaks for a node (a node token) and, when {@code node}
     * is not null, for exactly that node. Every {@code /v1/control} route calls it: once for the
     * route, and again for every node id the request names (in its path or its body).
     */
    void checkNode(RoutingContext ctx, String node);

    /** True when the caller may use {@code service} (for filtering lists). */
    default boolean allows(RoutingContext ctx, String service) {
        try {
            check(ctx, service);
            return true;
        } catch (dev.berth.core.error.Forbidden e) {
            return false;
        }
    }
}
