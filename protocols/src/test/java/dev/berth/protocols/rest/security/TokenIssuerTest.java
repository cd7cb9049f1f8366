package dev.berth.protocols.rest.security;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenIssuerTest {
    @TempDir
    Path tmp;

    @Test
    void ensureHs256KeyCreatesThirtyTwoPrivateRandomBytesOnce() throws Exception {
        Path key = tmp.resolve("new/dir/token.key");
        assertEquals(key, TokenIssuer.ensureHs256Key(key));
        byte[] first = Files.readAllBytes(key);
        assertEquals(32, first.length);
        assertFalse(java.util.Arrays.equals(new byte[32], first));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key.getParent())));
        TokenIssuer.ensureHs256Key(key);
        assertArrayEquals(first, Files.readAllBytes(key), "an existing key is never replaced");
        try (var files = Files.list(key.getParent())) {
            assertEquals(1, files.count(), "no temporary files are left behind");
        }
    }

    @Test
    void issuedTokenVerifiesWithTheSameKey() throws Exception {
        Path key = TokenIssuer.ensureHs256Key(tmp.resolve("token.key"));
        Instant before = Instant.now().minusSeconds(1);
        String t = TokenIssuer.issueHs256(key, "alice", Duration.ofHours(24), Map.of("team", "storage"));
        Principal p = new TokenVerifier(AuthConfig.hs256(key)).verify("Bearer " + t);
        assertEquals("alice", p.subject());
        assertEquals(Duration.ofHours(24), Duration.between(p.issuedAt(), p.expiresAt()));
        assertTrue(!p.issuedAt().isBefore(before.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
        assertEquals("storage", p.claims().get("team"));

        Path otherKey = TokenIssuer.ensureHs256Key(tmp.resolve("other.key"));
        assertThrows(dev.berth.core.error.Unauthenticated.class,
                () -> new TokenVerifier(AuthConfig.hs256(otherKey)).verify("Bearer " + t));
    }

    @Test
    void issueRefusesBadInputAndNeverCreatesAKey() throws Exception {
        Path key = TokenIssuer.ensureHs256Key(tmp.resolve("token.key"));
        Path absent = tmp.resolve("absent.key");
        InvalidArgument e = assertThrows(InvalidArgument.class,
                () -> TokenIssuer.issueHs256(absent, "alice", Duration.ofHours(1), Map.of()));
        assertTrue(e.getMessage().contains("does not exist"));
        assertFalse(Files.exists(absent), "a key made by the CLI would not be the controller's");
        assertThrows(InvalidArgument.class, () -> TokenIssuer.issueHs256(key, " ", Duration.ofHours(1), Map.of()));
        assertThrows(InvalidArgument.class, () -> TokenIssuer.issueHs256(key, "alice", Duration.ZERO, Map.of()));
        assertThrows(InvalidArgument.class, () -> TokenIssuer.issueHs256(key, "alice", Duration.ofSeconds(-1), Map.of()));
        InvalidArgument reserved = assertThrows(InvalidArgument.class,
                () -> TokenIssuer.issueHs256(key, "alice", Duration.ofHours(1), Map.of("exp", 1)));
        assertTrue(reserved.getMessage().contains("'exp'"));
    }

    @Test
    void decodeShowsHeaderAndClaimsWithoutVerifying() throws Exception {
        Path key = TokenIssuer.ensureHs256Key(tmp.resolve("token.key"));
        String t = TokenIssuer.issueHs256(key, "alice", Duration.ofMinutes(5), Map.of());
        Map<String, Object> d = TokenIssuer.decode(t);
        @SuppressWarnings("unchecked")
        Map<String, Object> header = (Map<String, Object>) d.get("header");
        @SuppressWarnings("unchecked")
        Map<String, Object> claims = (Map<String, Object>) d.get("claims");
        assertEquals("HS256", header.get("alg"));
        assertEquals("JWT", header.get("typ"));
        assertEquals("alice", claims.get("sub"));
        assertEquals(300L, ((Number) claims.get("exp")).longValue() - ((Number) claims.get("iat")).longValue());
        assertEquals(d, TokenIssuer.decode("Bearer " + t));

        // no key needed, and an unsigned token decodes too (it is only shown, never trusted)
        var none = Tokens.none(Tokens.valid("x"));
        assertEquals("none", ((Map<?, ?>) TokenIssuer.decode(none).get("header")).get("alg"));
        assertThrows(InvalidArgument.class, () -> TokenIssuer.decode("garbage"));
        assertThrows(InvalidArgument.class, () -> TokenIssuer.decode(""));
    }

    @Test
    void nodeTokensCarryTheNodeClaimAndDefaultTheSubject() throws Exception {
        Path key = TokenIssuer.ensureHs256Key(tmp.resolve("token.key"));
        TokenVerifier v = new TokenVerifier(AuthConfig.hs256(key));
        Principal p = v.verify("Bearer " + TokenIssuer.issueHs256(key, null, "host-a", Duration.ofHours(1), Map.of()));
        assertEquals("host-a", p.node());
        assertEquals("node-host-a", p.subject());
        Principal both = v.verify("Bearer " + TokenIssuer.issueHs256(key, "agent-a", "host-a", Duration.ofHours(1), Map.of()));
        assertEquals("agent-a", both.subject());
        assertEquals("host-a", both.node());
        Principal user = v.verify("Bearer " + TokenIssuer.issueHs256(key, "alice", Duration.ofHours(1), Map.of()));
        assertEquals(null, user.node(), "a user token speaks for no node");

        for (String bad : new String[] {"", "../a", "a/b", "-rf", "x".repeat(200)}) {
            assertThrows(InvalidArgument.class, () -> TokenIssuer.issueHs256(key, null, bad, Duration.ofHours(1), Map.of()), bad);
        }
        InvalidArgument reserved = assertThrows(InvalidArgument.class,
                () -> TokenIssuer.issueHs256(key, "alice", Duration.ofHours(1), Map.of("node", "host-a")));
        assertTrue(reserved.getMessage().contains("'node'") && reserved.hint().contains("--node"), reserved.getMessage());
    }
}
