package dev.berth.protocols.rest.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.Forbidden;
import dev.berth.core.error.Unauthenticated;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several controllers, one identity per node: a node token verifies on every controller that has
 * the same key file (HS256) or trusts the same public key (RS256/ES256), because verification
 * reads only the key, the token and the clock — no token id, revocation list or session that one
 * controller keeps in its memory or state folder. A controller with a key of its own (made at its
 * first start, not copied) refuses it.
 */
class TokensAcrossControllersTest {
    private static final String ROUTE = "POST /v1/control/nodes/b/heartbeat";

    @TempDir
    Path tmp;

    @Test
    void anHs256NodeTokenOfControllerOneVerifiesOnAControllerWithACopyOfTheKey() throws Exception {
        Path key1 = TokenIssuer.ensureHs256Key(tmp.resolve("c1/state/auth/hs256.key"));
        Files.createDirectories(tmp.resolve("c2/etc"));
        Path key2 = Files.copy(key1, tmp.resolve("c2/etc/hs256.key")); // what docs/security.md tells
        String token = TokenIssuer.issueHs256(key1, null, "a", Duration.ofHours(1), Map.of());

        TokenVerifier one = new TokenVerifier(AuthConfig.hs256(key1));
        TokenVerifier two = new TokenVerifier(AuthConfig.hs256(key2));
        for (TokenVerifier v : new TokenVerifier[] {one, two}) {
            Principal p = v.verify("Bearer " + token);
            assertEquals("a", p.node());
            assertEquals("node-a", p.subject());
            // node a's token through either controller: its own node yes, node b never
            TokenAccess.requireNode(p, "a", "POST /v1/control/nodes/a/heartbeat");
            Forbidden f = assertThrows(Forbidden.class, () -> TokenAccess.requireNode(p, "b", ROUTE));
            assertTrue(f.getMessage().contains("node 'b'") && f.getMessage().contains("node 'a'"), f.getMessage());
        }
        // A verifier made again from the file (a controller restarted) accepts it just the same.
        assertEquals("a", new TokenVerifier(AuthConfig.hs256(key2)).verify("Bearer " + token).node());
    }

    @Test
    void aControllerThatMadeItsOwnKeyRefusesTheToken() {
        Path key1 = TokenIssuer.ensureHs256Key(tmp.resolve("c1/auth/hs256.key"));
        Path own = TokenIssuer.ensureHs256Key(tmp.resolve("c2/auth/hs256.key")); // not copied: a new random key
        String token = TokenIssuer.issueHs256(key1, null, "a", Duration.ofHours(1), Map.of());
        Unauthenticated e = assertThrows(Unauthenticated.class,
                () -> new TokenVerifier(AuthConfig.hs256(own)).verify("Bearer " + token));
        assertTrue(e.getMessage().contains("not signed with this server's key"), e.getMessage());
    }

    @Test
    void anEs256NodeTokenVerifiesOnEveryControllerThatTrustsThePublicKey() throws Exception {
        KeyPair issuer = Tokens.ec("secp256r1"); // only the issuer holds the private key
        Path pub1 = Tokens.writePublicKey(tmp.resolve("c1.pub"), issuer);
        Path pub2 = Files.copy(pub1, tmp.resolve("c2.pub"));
        Instant now = Instant.now();
        String token = Tokens.es256(issuer, Tokens.claims("node-a", now, now.plusSeconds(600)).claim("node", "a").build());
        for (Path pub : new Path[] {pub1, pub2}) {
            Principal p = new TokenVerifier(AuthConfig.publicKey(pub)).verify("Bearer " + token);
            assertEquals("a", p.node());
            assertThrows(Forbidden.class, () -> TokenAccess.requireNode(p, "b", ROUTE));
        }
    }
}
