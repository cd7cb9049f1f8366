package dev.berth.protocols.rest.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.berth.core.error.Forbidden;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.Unauthenticated;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import dev.berth.core.model.Durations;
import dev.berth.core.model.Names;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * Checks bearer tokens against the configured key and subject rules. One verifier accepts exactly
 * one algorithm — HS256 for a key file, RS256 or ES256 for a public key — and refuses every other
 * {@code alg} before looking at the signature, so "none" and algorithm confusion (an RS256 public
 * key used as an HMAC secret) cannot get through. {@code sub}, {@code exp} and {@code iat} are
 * required; dates get {@link #CLOCK_SKEW} of slack. A token may live ({@code exp - iat}) at most the
 * configured maximum lifetime: a stolen token that never expires is a key that cannot be revoked.
 */
public final class TokenVerifier {
    public static final Duration CLOCK_SKEW = Duration.ofSeconds(30);
    /** The maximum lifetime when none is configured (auth.maxTokenTtl). */
    public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofDays(30);
    static final String NEW_TOKEN = "get a new token with `berth token new --subject NAME` on the controller "
            + "and send it as `Authorization: Bearer TOKEN`";
    static final String NEW_NODE_TOKEN = "make the agent a node token on the controller: "
            + "`berth token new --node ID --key KEY`";

    private final AuthConfig config;
    private final Clock clock;
    private final JWSAlgorithm algorithm;
    private final JWSVerifier verifier;
    private final Duration maxLifetime;

    public TokenVerifier(AuthConfig config) {
        this(config, Clock.systemUTC());
    }

    public TokenVerifier(AuthConfig config, Clock clock) {
        this(config, clock, DEFAULT_MAX_LIFETIME);
    }

    /**
     * Loads the key now, so that a bad key file stops the server at start, not at the first request.
     *
     * @param maxLifetime the longest {@code exp - iat} accepted (plus {@link #CLOCK_SKEW})
     */
    public TokenVerifier(AuthConfig config, Clock clock, Duration maxLifetime) {
        if (maxLifetime == null || maxLifetime.isNegative() || maxLifetime.isZero()) {
            throw new InvalidArgument("the maximum token lifetime must be positive, not " + maxLifetime, "use e.g. 30d");
        }
        this.maxLifetime = maxLifetime;
        this.config = config;
        this.clock = clock;
        if (!config.enabled()) {
            this.algorithm = null;
            this.verifier = null;
        } else if (config.hs256KeyFile() != null) {
            this.algorithm = JWSAlgorithm.HS256;
            this.verifier = hmac(config.hs256KeyFile());
        } else {
            PublicKey key = PemFiles.publicKey(config.publicKeyFile(), "token public key");
            this.algorithm = algorithmFor(key, config.publicKeyFile());
            this.verifier = publicKeyVerifier(key, config.publicKeyFile());
        }
    }

    public boolean enabled() {
        return config.enabled();
    }

    /** HS256, RS256 or ES256; null when auth is disabled. */
    public String algorithm() {
        return algorithm == null ? null : algorithm.getName();
    }

    public AuthConfig config() {
        return config;
    }

    /** The longest lifetime ({@code exp - iat}) this verifier accepts, before {@link #CLOCK_SKEW}. */
    public Duration maxLifetime() {
        return maxLifetime;
    }

    /**
     * Verifies an {@code Authorization} header value ({@code Bearer <jwt>}) and the global subject
     * rules. Unauthenticated (401) for a missing, malformed, badly signed, wrongly typed, incomplete
     * or out-of-date token; Forbidden (403) for a subject the global rules exclude.
     */
    public Principal verify(String authorizationHeaderValue) {
        if (!config.enabled()) {
            throw new IllegalStateException("token auth is disabled; do not call verify");
        }
        SignedJWT jwt = signed(bearer(authorizationHeaderValue));
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        if (!algorithm.equals(alg)) {
            throw new Unauthenticated("the token is signed with " + alg + ", but this server accepts only "
                    + algorithm + " tokens", NEW_TOKEN);
        }
        boolean valid;
        try {
            valid = jwt.verify(verifier);
        } catch (JOSEException e) {
            throw new Unauthenticated("the token's signature cannot be checked: " + e.getMessage(), NEW_TOKEN, e);
        }
        if (!valid) {
            throw new Unauthenticated("the token's signature is not valid: it was not signed with this server's key, "
                    + "or it was altered", NEW_TOKEN);
        }
        Principal p = claims(jwt);
        checkGlobal(p.subject());
        return p;
    }

    /**
     * Forbidden (403) when the rules of {@code service} (or the global ones) exclude the principal's
     * subject. Does nothing when auth is disabled; Unauthenticated when enabled and {@code p} is null.
     */
    public void authorize(Principal p, String service) {
        if (!config.enabled()) {
            return;
        }
        if (p == null) {
            throw new Unauthenticated("the request carries no verified token", NEW_TOKEN);
        }
        checkGlobal(p.subject());
        SubjectRules rules = config.service(service);
        if (rules.denies(p.subject())) {
            throw new Forbidden("subject '" + p.subject() + "' is denied on service '" + service + "'",
                    "use a token for a subject that service allows, or ask the controller's administrator "
                            + "to lift the deny entry of service '" + service + "'");
        }
        if (rules.doesNotAllow(p.subject())) {
            throw new Forbidden("subject '" + p.subject() + "' is not allowed on service '" + service + "' (allowed: "
                    + String.join(", ", rules.allow()) + ")",
                    "use a token for an allowed subject, or ask the controller's administrator to add '"
                            + p.subject() + "' to the allow list of service '" + service + "'");
        }
    }

    private void checkGlobal(String subject) {
        SubjectRules g = config.global();
        if (g.denies(subject)) {
            throw new Forbidden("subject '" + subject + "' is denied on this server",
                    "use a token for another subject, or ask the controller's administrator to lift the deny entry");
        }
        if (g.doesNotAllow(subject)) {
            throw new Forbidden("subject '" + subject + "' is not in this server's allow list",
                    "use a token for an allowed subject, or ask the controller's administrator to allow '" + subject + "'");
        }
    }

    private static String bearer(String header) {
        if (header == null || header.isBlank()) {
            throw new Unauthenticated("the request has no token (no Authorization header)", NEW_TOKEN);
        }
        String[] parts = header.strip().split("\\s+", 2);
        if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer")) {
            throw new Unauthenticated("the Authorization header is not a bearer token (expected 'Bearer TOKEN')", NEW_TOKEN);
        }
        return parts[1].strip();
    }

    private static SignedJWT signed(String token) {
        JWT jwt;
        try {
            jwt = JWTParser.parse(token);
        } catch (ParseException e) {
            throw new Unauthenticated("the token is not a JWT: " + e.getMessage(), NEW_TOKEN, e);
        }
        return switch (jwt) {
            case SignedJWT s -> s;
            case PlainJWT p -> throw new Unauthenticated("the token is not signed (alg none)", NEW_TOKEN);
            case EncryptedJWT e -> throw new Unauthenticated("encrypted tokens (JWE) are not accepted", NEW_TOKEN);
            default -> throw new Unauthenticated("the token is not a signed JWT", NEW_TOKEN);
        };
    }

    private Principal claims(SignedJWT jwt) {
        JWTClaimsSet c;
        try {
            c = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new Unauthenticated("the token's claims are not valid: " + e.getMessage(), NEW_TOKEN, e);
        }
        if (c.getSubject() == null || c.getSubject().isBlank()) {
            throw new Unauthenticated("the token has no 'sub' (subject) claim", NEW_TOKEN);
        }
        Instant exp = instant(c.getExpirationTime(), "exp", "expiry");
        Instant iat = instant(c.getIssueTime(), "iat", "issued-at");
        Instant now = clock.instant();
        if (now.isAfter(exp.plus(CLOCK_SKEW))) {
            throw new Unauthenticated("the token expired at " + exp + " (" + Durations.human(Duration.between(exp, now)) + " ago)",
                    NEW_TOKEN);
        }
        if (iat.isAfter(now.plus(CLOCK_SKEW))) {
            throw new Unauthenticated("the token was issued in the future (iat " + iat + ", this server's time " + now + ")",
                    "check the clocks of the host that made the token and of the controller (NTP)");
        }
        Duration lifetime = Duration.between(iat, exp);
        if (lifetime.compareTo(maxLifetime.plus(CLOCK_SKEW)) > 0) {
            throw new Unauthenticated("the token lives " + Durations.human(lifetime) + " (iat " + iat + ", exp " + exp
                    + "), longer than this server's maximum token lifetime of " + Durations.human(maxLifetime),
                    "get a token that lives at most " + Durations.human(maxLifetime) + ": berth token new --subject NAME --ttl "
                            + Durations.human(maxLifetime) + " (or less); the controller's administrator sets the maximum "
                            + "with auth.maxTokenTtl");
        }
        Date nbf = c.getNotBeforeTime();
        if (nbf != null && nbf.toInstant().isAfter(now.plus(CLOCK_SKEW))) {
            throw new Unauthenticated("the token is not valid before " + nbf.toInstant(),
                    "wait until then, or check the clocks of the issuing host and the controller");
        }
        checkNodeClaim(c.getClaim(Principal.NODE));
        return new Principal(c.getSubject(), iat, exp, c.toJSONObject());
    }

    /** A node token names exactly one valid node id; anything else in that claim is refused. */
    private static void checkNodeClaim(Object node) {
        if (node == null) {
            return;
        }
        try {
            if (node instanceof String s) {
                Names.node(s);
                return;
            }
        } catch (InvalidArgument e) {
            throw new Unauthenticated("the token's 'node' claim is not a node id: " + e.getMessage(), NEW_NODE_TOKEN, e);
        }
        throw new Unauthenticated("the token's 'node' claim is not a string", NEW_NODE_TOKEN);
    }

    private static Instant instant(Date d, String claim, String what) {
        if (d == null) {
            throw new Unauthenticated("the token has no '" + claim + "' (" + what + ") claim", NEW_TOKEN);
        }
        return d.toInstant();
    }

    private static JWSVerifier hmac(Path keyFile) {
        try {
            return new MACVerifier(Hs256Key.read(keyFile));
        } catch (JOSEException e) {
            throw new InvalidArgument("token key " + keyFile + " cannot be used for HS256: " + e.getMessage(),
                    "use a key file of at least 32 random bytes", e);
        }
    }

    private static JWSAlgorithm algorithmFor(PublicKey key, Path file) {
        if (key instanceof RSAPublicKey rsa) {
            if (rsa.getModulus().bitLength() < 2048) {
                throw new InvalidArgument("token public key " + file + " is RSA with " + rsa.getModulus().bitLength()
                        + " bits; RS256 needs at least 2048", "use an RSA key of 2048 bits or more, or EC P-256");
            }
            return JWSAlgorithm.RS256;
        }
        if (key instanceof ECPublicKey ec) {
            if (!Curve.P_256.equals(Curve.forECParameterSpec(ec.getParams()))) {
                throw new InvalidArgument("token public key " + file + " is EC but not on curve P-256",
                        "ES256 needs a P-256 (prime256v1) key");
            }
            return JWSAlgorithm.ES256;
        }
        throw new InvalidArgument("token public key " + file + " is " + key.getAlgorithm()
                + ", which is not supported", "use an RSA (RS256) or EC P-256 (ES256) public key");
    }

    private static JWSVerifier publicKeyVerifier(PublicKey key, Path file) {
        try {
            return key instanceof RSAPublicKey rsa ? new RSASSAVerifier(rsa) : new ECDSAVerifier((ECPublicKey) key);
        } catch (JOSEException e) {
            throw new InvalidArgument("token public key " + file + " cannot be used: " + e.getMessage(),
                    "use an RSA (RS256) or EC P-256 (ES256) public key", e);
        }
    }
}
