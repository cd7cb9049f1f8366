package dev.berth.protocols.rest.security;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.berth.core.error.Forbidden;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.Unauthenticated;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenVerifierTest {
    static final Instant NOW = Instant.parse("2030-01-01T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path tmp;
    Path key;
    TokenVerifier hs;

    @BeforeEach
    void setUp() throws Exception {
        key = Tokens.writeHs256Key(tmp.resolve("token.key"));
        hs = new TokenVerifier(AuthConfig.hs256(key), CLOCK);
    }

    String token(String sub, Instant iat, Instant exp) throws Exception {
        return Tokens.hs256(key, Tokens.claims(sub, iat, exp).build());
    }

    String good() throws Exception {
        return token("alice", NOW.minusSeconds(60), NOW.plusSeconds(3600));
    }

    static Unauthenticated unauth(TokenVerifier v, String header) {
        Unauthenticated e = assertThrows(Unauthenticated.class, () -> v.verify(header));
        assertTrue(!e.hint().isEmpty(), "every refusal says what to do next");
        return e;
    }

    @Test
    void validHs256TokenGivesThePrincipal() throws Exception {
        String t = Tokens.hs256(key, Tokens.claims("alice", NOW.minusSeconds(60), NOW.plusSeconds(3600))
                .claim("team", "storage").build());
        Principal p = hs.verify("Bearer " + t);
        assertEquals("alice", p.subject());
        assertEquals(NOW.minusSeconds(60), p.issuedAt());
        assertEquals(NOW.plusSeconds(3600), p.expiresAt());
        assertEquals("storage", p.claims().get("team"));
        assertEquals("HS256", hs.algorithm());
        assertEquals("alice", hs.verify("bearer   " + t).subject(), "scheme is case-insensitive (RFC 7235)");
    }

    @Test
    void missingOrNonBearerHeaderIs401() throws Exception {
        assertTrue(unauth(hs, null).getMessage().contains("no token"));
        assertTrue(unauth(hs, "  ").getMessage().contains("no token"));
        assertTrue(unauth(hs, "Basic YWxpY2U6c2VjcmV0").getMessage().contains("not a bearer token"));
        assertTrue(unauth(hs, good()).getMessage().contains("not a bearer token"), "token without the scheme");
        assertTrue(unauth(hs, null).hint().contains("berth token new --subject NAME"));
    }

    @Test
    void unparsableTokenIs401() {
        assertTrue(unauth(hs, "Bearer not-a-jwt").getMessage().contains("not a JWT"));
        assertTrue(unauth(hs, "Bearer a.b.c").getMessage().contains("not a JWT"));
    }

    @Test
    void badSignatureIs401() throws Exception {
        byte[] otherKey = new byte[32];
        String t = Tokens.hs256(otherKey, Tokens.claims("alice", NOW, NOW.plusSeconds(60)).build());
        assertTrue(unauth(hs, "Bearer " + t).getMessage().contains("signature is not valid"));

        // a valid token whose claims were altered (sub changed) after signing
        String[] parts = good().split("\\.");
        String forged = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                ("{\"sub\":\"root\",\"iat\":" + NOW.getEpochSecond() + ",\"exp\":" + (NOW.getEpochSecond() + 60) + "}").getBytes());
        assertTrue(unauth(hs, "Bearer " + parts[0] + "." + forged + "." + parts[2]).getMessage().contains("signature is not valid"));
    }

    @Test
    void algNoneIs401() throws Exception {
        JWTClaimsSet c = Tokens.claims("alice", NOW, NOW.plusSeconds(60)).build();
        assertTrue(unauth(hs, "Bearer " + Tokens.none(c)).getMessage().contains("alg none"));
        unauth(hs, "Bearer " + Tokens.strippedToNone(good()));
    }

    @Test
    void otherAlgorithmsAreRefusedBeforeTheSignature() throws Exception {
        JWTClaimsSet c = Tokens.claims("alice", NOW, NOW.plusSeconds(60)).build();
        // HS384 with the very same secret would verify if the header's alg were trusted
        byte[] longKey = new byte[48];
        Files.write(key, longKey);
        TokenVerifier v = new TokenVerifier(AuthConfig.hs256(key), CLOCK);
        String hs384 = Tokens.sign(JWSAlgorithm.HS384, new MACSigner(longKey), c);
        assertTrue(unauth(v, "Bearer " + hs384).getMessage().contains("signed with HS384"));

        KeyPair rsa = Tokens.rsa();
        Unauthenticated e = unauth(hs, "Bearer " + Tokens.rs256(rsa, c));
        assertTrue(e.getMessage().contains("signed with RS256") && e.getMessage().contains("only HS256"), e.getMessage());
        assertTrue(unauth(hs, "Bearer " + Tokens.es256(Tokens.ec("secp256r1"), c)).getMessage().contains("signed with ES256"));
    }

    @Test
    void missingRequiredClaimsAre401() throws Exception {
        assertTrue(unauth(hs, "Bearer " + token(null, NOW, NOW.plusSeconds(60))).getMessage().contains("'sub'"));
        assertTrue(unauth(hs, "Bearer " + token(" ", NOW, NOW.plusSeconds(60))).getMessage().contains("'sub'"));
        assertTrue(unauth(hs, "Bearer " + token("alice", null, NOW.plusSeconds(60))).getMessage().contains("'iat'"));
        assertTrue(unauth(hs, "Bearer " + token("alice", NOW, null)).getMessage().contains("'exp'"));
    }

    @Test
    void expiryAllowsThirtySecondsOfClockSkew() throws Exception {
        Unauthenticated e = unauth(hs, "Bearer " + token("alice", NOW.minusSeconds(7200), NOW.minusSeconds(31)));
        assertTrue(e.getMessage().contains("expired at 2030-01-01T11:59:29Z (31s ago)"), e.getMessage());
        assertTrue(e.hint().contains("berth token new --subject NAME"));
        assertDoesNotThrow(() -> hs.verify("Bearer " + token("alice", NOW.minusSeconds(7200), NOW.minusSeconds(29))));
    }

    @Test
    void issuedInTheFutureBeyondSkewIs401() throws Exception {
        Unauthenticated e = unauth(hs, "Bearer " + token("alice", NOW.plusSeconds(31), NOW.plusSeconds(3600)));
        assertTrue(e.getMessage().contains("issued in the future"), e.getMessage());
        assertTrue(e.hint().contains("clocks"));
        assertDoesNotThrow(() -> hs.verify("Bearer " + token("alice", NOW.plusSeconds(29), NOW.plusSeconds(3600))));
    }

    @Test
    void notBeforeInTheFutureIs401() throws Exception {
        String t = Tokens.hs256(key, Tokens.claims("alice", NOW, NOW.plusSeconds(3600))
                .notBeforeTime(java.util.Date.from(NOW.plusSeconds(600))).build());
        assertTrue(unauth(hs, "Bearer " + t).getMessage().contains("not valid before"));
    }

    @Test
    void rs256WithAPublicKeyPemFile() throws Exception {
        KeyPair rsa = Tokens.rsa();
        TokenVerifier v = new TokenVerifier(AuthConfig.publicKey(Tokens.writePublicKey(tmp.resolve("rsa.pub"), rsa)), CLOCK);
        assertEquals("RS256", v.algorithm());
        JWTClaimsSet c = Tokens.claims("ci-bot", NOW, NOW.plusSeconds(60)).build();
        assertEquals("ci-bot", v.verify("Bearer " + Tokens.rs256(rsa, c)).subject());

        assertTrue(unauth(v, "Bearer " + Tokens.rs256(Tokens.rsa(), c)).getMessage().contains("signature is not valid"));
        assertTrue(unauth(v, "Bearer " + Tokens.es256(Tokens.ec("secp256r1"), c)).getMessage().contains("signed with ES256"));
        assertTrue(unauth(v, "Bearer " + Tokens.hs256(key, c)).getMessage().contains("signed with HS256"));
        // The classic confusion attack: HMAC keyed with the server's public key file as the secret.
        byte[] publicPem = Files.readAllBytes(tmp.resolve("rsa.pub"));
        assertTrue(unauth(v, "Bearer " + Tokens.hs256(publicPem, c)).getMessage().contains("signed with HS256"));
        assertTrue(unauth(v, "Bearer " + Tokens.none(c)).getMessage().contains("alg none"));
    }

    @Test
    void es256WithAPublicKeyPemFileOrACertificate() throws Exception {
        KeyPair ec = Tokens.ec("secp256r1");
        TokenVerifier v = new TokenVerifier(AuthConfig.publicKey(Tokens.writePublicKey(tmp.resolve("ec.pub"), ec)), CLOCK);
        assertEquals("ES256", v.algorithm());
        JWTClaimsSet c = Tokens.claims("agent-1", NOW, NOW.plusSeconds(60)).build();
        assertEquals("agent-1", v.verify("Bearer " + Tokens.es256(ec, c)).subject());
        assertTrue(unauth(v, "Bearer " + Tokens.es256(Tokens.ec("secp256r1"), c)).getMessage().contains("signature is not valid"));
        assertTrue(unauth(v, "Bearer " + Tokens.rs256(Tokens.rsa(), c)).getMessage().contains("signed with RS256"));
        assertTrue(unauth(v, "Bearer " + Tokens.hs256(Files.readAllBytes(tmp.resolve("ec.pub")), c)).getMessage()
                .contains("signed with HS256"));

        // the public key may also come from a certificate; the TLS material's key is EC P-256
        TlsMaterial tls = TlsMaterial.loadOrCreate(tmp.resolve("tls"), List.of("127.0.0.1"));
        TokenVerifier fromCert = new TokenVerifier(AuthConfig.publicKey(tls.certFile()), CLOCK);
        assertEquals("ES256", fromCert.algorithm());
    }

    @Test
    void unusableKeyFilesStopTheServerAtStart() throws Exception {
        InvalidArgument missing = assertThrows(InvalidArgument.class,
                () -> new TokenVerifier(AuthConfig.hs256(tmp.resolve("absent.key"))));
        assertTrue(missing.getMessage().contains("does not exist"));
        Path shortKey = Files.write(tmp.resolve("short.key"), new byte[16]);
        assertTrue(assertThrows(InvalidArgument.class, () -> new TokenVerifier(AuthConfig.hs256(shortKey)))
                .getMessage().contains("16 bytes"));
        Path p384 = Tokens.writePublicKey(tmp.resolve("p384.pub"), Tokens.ec("secp384r1"));
        assertTrue(assertThrows(InvalidArgument.class, () -> new TokenVerifier(AuthConfig.publicKey(p384)))
                .getMessage().contains("P-256"));
        TlsMaterial tls = TlsMaterial.loadOrCreate(tmp.resolve("tls"), List.of("127.0.0.1"));
        InvalidArgument priv = assertThrows(InvalidArgument.class, () -> new TokenVerifier(AuthConfig.publicKey(tls.keyFile())));
        assertTrue(priv.getMessage().contains("is a private key"), priv.getMessage());
        assertThrows(InvalidArgument.class, () -> new AuthConfig(true, key, tmp.resolve("x.pub"), null, null));
        assertThrows(InvalidArgument.class, () -> new AuthConfig(true, null, null, null, null));
    }

    @Test
    void globalDenyAndAllowListsAre403() throws Exception {
        TokenVerifier v = new TokenVerifier(AuthConfig.hs256(key)
                .withGlobal(new SubjectRules(List.of("alice", "ci-*"), List.of("ci-untrusted"))), CLOCK);
        assertEquals("alice", v.verify("Bearer " + good()).subject());
        assertEquals("ci-7", v.verify("Bearer " + token("ci-7", NOW, NOW.plusSeconds(60))).subject());
        Forbidden denied = assertThrows(Forbidden.class,
                () -> v.verify("Bearer " + token("ci-untrusted", NOW, NOW.plusSeconds(60))));
        assertTrue(denied.getMessage().contains("'ci-untrusted' is denied"), denied.getMessage());
        Forbidden notAllowed = assertThrows(Forbidden.class, () -> v.verify("Bearer " + token("bob", NOW, NOW.plusSeconds(60))));
        assertTrue(notAllowed.getMessage().contains("'bob' is not in this server's allow list"), notAllowed.getMessage());

        TokenVerifier denyAll = new TokenVerifier(AuthConfig.hs256(key).withGlobal(new SubjectRules(null, List.of("*"))), CLOCK);
        assertThrows(Forbidden.class, () -> denyAll.verify("Bearer " + good()));
    }

    @Test
    void perServiceRulesAreCheckedByAuthorize() throws Exception {
        TokenVerifier v = new TokenVerifier(AuthConfig.hs256(key)
                .withGlobal(new SubjectRules(null, List.of("mallory")))
                .withService("fast", new SubjectRules(List.of("alice"), null))
                .withService("slow", new SubjectRules(null, List.of("a*")))
                .withService("open", new SubjectRules(List.of("mallory", "*"), null)), CLOCK);
        Principal alice = v.verify("Bearer " + good());
        Principal bob = v.verify("Bearer " + token("bob", NOW, NOW.plusSeconds(60)));

        assertDoesNotThrow(() -> v.authorize(alice, "fast"));
        Forbidden e = assertThrows(Forbidden.class, () -> v.authorize(bob, "fast"));
        assertTrue(e.getMessage().contains("'bob' is not allowed on service 'fast'"), e.getMessage());
        assertTrue(e.hint().contains("allow list of service 'fast'"), e.hint());
        assertThrows(Forbidden.class, () -> v.authorize(alice, "slow"));
        assertDoesNotThrow(() -> v.authorize(bob, "slow"));
        assertDoesNotThrow(() -> v.authorize(bob, "unlisted"));
        // a global deny beats a service allow
        Principal mallory = new Principal("mallory", NOW, NOW.plusSeconds(60), Map.of());
        assertThrows(Forbidden.class, () -> v.authorize(mallory, "open"));
        assertThrows(Unauthenticated.class, () -> v.authorize(null, "fast"));

        TokenVerifier off = new TokenVerifier(AuthConfig.disabled());
        assertDoesNotThrow(() -> off.authorize(null, "fast"));
    }

    @Test
    void theNodeClaimMustBeANodeId() throws Exception {
        Principal node = hs.verify("Bearer " + Tokens.hs256(key, Tokens.claims("agent-a", NOW, NOW.plusSeconds(60))
                .claim("node", "host-a").build()));
        assertEquals("host-a", node.node());
        assertEquals(null, hs.verify("Bearer " + good()).node());
        for (Object bad : new Object[] {"../a", "a/b", "", "-x", 7, List.of("a"), Map.of("id", "a")}) {
            String t = Tokens.hs256(key, Tokens.claims("agent-a", NOW, NOW.plusSeconds(60)).claim("node", bad).build());
            Unauthenticated e = unauth(hs, "Bearer " + t);
            assertTrue(e.getMessage().contains("'node' claim"), bad + ": " + e.getMessage());
        }
    }
}
