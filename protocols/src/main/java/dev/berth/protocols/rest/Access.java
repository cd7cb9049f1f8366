package dev.berth.protocols.rest;

import io.vertx.ext.web.RoutingContext;

/**
 * Who may use which service. The local unix socket is root-only and open; the TCP API checks the
 * caller's token against the service's allow and deny lists.
 */
public interface Access {
    Access OPEN = (ctx, service) -> { };

    /** Throws Forbidden when the caller may not use {@code service}. */
    void check(RoutingContext ctx, String service);

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
