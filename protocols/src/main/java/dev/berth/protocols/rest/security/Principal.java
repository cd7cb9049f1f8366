package dev.berth.protocols.rest.security;

import java.time.Instant;
import java.util.Map;

/** Who a verified token speaks for. {@code claims} holds every claim in JSON form (dates as epoch seconds). */
public record Principal(String subject, Instant issuedAt, Instant expiresAt, Map<String, Object> claims) {
    public Principal {
        claims = claims == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(claims));
    }
}
