package dev.berth.protocols.rest.security;

import dev.berth.core.model.Names;
import java.time.Instant;
import java.util.Map;

/**
 * Who a verified token speaks for. {@code claims} holds every claim in JSON form (dates as epoch
 * seconds). A token with a {@value #NODE} claim is a node token: it speaks for that one node on the
 * {@code /v1/control} routes (see {@link TokenAccess}).
 */
public record Principal(String subject, Instant issuedAt, Instant expiresAt, Map<String, Object> claims) {
    /** The claim that binds a token to one node id. */
    public static final String NODE = "node";

    public Principal {
        claims = claims == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(claims));
        Object node = claims.get(NODE);
        if (node != null && !(node instanceof String s && s.equals(Names.node(s)))) {
            throw new IllegalArgumentException("the 'node' claim must be a node id, not " + node);
        }
    }

    /** The node this token speaks for; null for user and admin tokens. */
    public String node() {
        return (String) claims.get(NODE);
    }
}
