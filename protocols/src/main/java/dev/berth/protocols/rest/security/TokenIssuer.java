package dev.berth.protocols.rest.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.model.Names;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Makes HS256 tokens (for {@code berth token new}) and shows what a token holds (for {@code berth token decode}). */
public final class TokenIssuer {
    /** Claims the issuer sets itself; {@code extra} may not override them. */
    private static final Set<String> RESERVED = Set.of("sub", "iat", "exp", "nbf", Principal.NODE);

    private TokenIssuer() {
    }

    /**
     * A token for {@code subject}, valid from now for {@code ttl}, signed HS256 with the key in
     * {@code keyFile} (which must exist: a key made here would not be the controller's).
     */
    public static String issueHs256(Path keyFile, String subject, Duration ttl, Map<String, Object> extra) {
        return issueHs256(keyFile, subject, null, ttl, extra);
    }

    /**
     * As above; with a non-null {@code node} a node token: it carries the claim
     * {@code "node": node} and speaks for that node on the {@code /v1/control} routes. A node
     * token's subject defaults to {@code node-<node>}.
     */
    public static String issueHs256(Path keyFile, String subject, String node, Duration ttl, Map<String, Object> extra) {
        if (node != null) {
            Names.node(node);
            if (subject == null || subject.isBlank()) {
                subject = "node-" + node;
            }
        }
        if (subject == null || subject.isBlank()) {
            throw new InvalidArgument("a token needs a subject", "name who the token is for: --subject NAME "
                    + "(or, for an agent, --node ID)");
        }
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new InvalidArgument("a token's lifetime must be positive, not " + ttl, "e.g. --ttl 24h");
        }
        Instant now = Instant.now();
        var claims = new com.nimbusds.jwt.JWTClaimsSet.Builder();
        if (extra != null) {
            for (var e : extra.entrySet()) {
                if (RESERVED.contains(e.getKey())) {
                    throw new InvalidArgument("claim '" + e.getKey() + "' is set by Berth itself",
                            "leave out " + RESERVED + "; use --subject, --node and --ttl");
                }
                claims.claim(e.getKey(), e.getValue());
            }
        }
        if (node != null) {
            claims.claim(Principal.NODE, node);
        }
        claims.subject(subject.strip())
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)));
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
                claims.build());
        try {
            jwt.sign(new MACSigner(Hs256Key.read(keyFile)));
        } catch (JOSEException e) {
            throw new InvalidArgument("cannot sign with token key " + keyFile + ": " + e.getMessage(),
                    "use a key file of at least 32 random bytes", e);
        }
        return jwt.serialize();
    }

    /** Creates {@code keyFile} with 32 random bytes (mode 0600, folder 0700 if new) unless it exists. */
    public static Path ensureHs256Key(Path keyFile) {
        return Hs256Key.ensure(keyFile);
    }

    /**
     * The header and claims of a token, NOT verified: {@code {"header": {...}, "claims": {...}}},
     * dates as epoch seconds as in the token.
     */
    public static Map<String, Object> decode(String token) {
        if (token == null || token.isBlank()) {
            throw new InvalidArgument("no token given", "pass the token: berth token decode TOKEN");
        }
        String t = token.strip();
        if (t.regionMatches(true, 0, "Bearer ", 0, 7)) {
            t = t.substring(7).strip();
        }
        try {
            JWT jwt = JWTParser.parse(t);
            if (!(jwt instanceof SignedJWT) && !(jwt instanceof PlainJWT)) {
                throw new InvalidArgument("the token is encrypted (JWE); its claims cannot be shown",
                        "Berth tokens are signed JWTs (three dot-separated parts)");
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("header", jwt.getHeader().toJSONObject());
            out.put("claims", jwt.getJWTClaimsSet().toJSONObject());
            return out;
        } catch (ParseException e) {
            throw new InvalidArgument("this is not a JWT: " + e.getMessage(),
                    "a token is three base64url parts separated by dots, as `berth token new` prints it", e);
        }
    }
}
