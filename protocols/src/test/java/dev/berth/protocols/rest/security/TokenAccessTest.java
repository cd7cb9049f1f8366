package dev.berth.protocols.rest.security;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.Forbidden;
import dev.berth.core.error.Unauthenticated;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The node-claim rule of the /v1/control routes, without a server. */
class TokenAccessTest {
    static final Instant NOW = Instant.parse("2030-01-01T12:00:00Z");
    static final String ROUTE = "POST /v1/control/volumes/abc/release";

    static Principal principal(String subject, Map<String, Object> claims) {
        return new Principal(subject, NOW, NOW.plusSeconds(60), claims);
    }

    @Test
    void aNodeTokenMayActForItsOwnNodeAndForNoNodeInParticular() {
        Principal a = principal("agent-a", Map.of("node", "a"));
        assertDoesNotThrow(() -> TokenAccess.requireNode(a, "a", ROUTE));
        assertDoesNotThrow(() -> TokenAccess.requireNode(a, null, ROUTE));
    }

    @Test
    void aTokenWithoutANodeClaimIsRefusedNamingRouteAndSubject() {
        for (Map<String, Object> claims : java.util.List.<Map<String, Object>>of(Map.of(), Map.of("team", "a"))) {
            Forbidden e = assertThrows(Forbidden.class, () -> TokenAccess.requireNode(principal("bob", claims), null, ROUTE));
            assertTrue(e.getMessage().contains(ROUTE) && e.getMessage().contains("'bob'"), e.getMessage());
            assertTrue(e.hint().contains("berth token new --node ID"), e.hint());
            assertThrows(Forbidden.class, () -> TokenAccess.requireNode(principal("bob", claims), "a", ROUTE));
        }
    }

    @Test
    void anotherNodesTokenIsRefusedNamingBothNodes() {
        Principal b = principal("agent-b", Map.of("node", "b"));
        Forbidden e = assertThrows(Forbidden.class, () -> TokenAccess.requireNode(b, "a", ROUTE));
        assertTrue(e.getMessage().contains("node 'a'") && e.getMessage().contains("node 'b'")
                && e.getMessage().contains("'agent-b'") && e.getMessage().contains(ROUTE), e.getMessage());
        assertTrue(e.hint().contains("--node a"), e.hint());
        // Exact match only: no case folding, no prefixes.
        assertThrows(Forbidden.class, () -> TokenAccess.requireNode(b, "B", ROUTE));
        assertThrows(Forbidden.class, () -> TokenAccess.requireNode(b, "b2", ROUTE));
        assertThrows(Forbidden.class, () -> TokenAccess.requireNode(principal("x", Map.of("node", "b2")), "b", ROUTE));
    }

    @Test
    void noPrincipalWithAuthOnIsUnauthenticated() {
        assertThrows(Unauthenticated.class, () -> TokenAccess.requireNode(null, "a", ROUTE));
    }

    @Test
    void longPathsAreCutInTheMessage() {
        String route = "GET /v1/control/nodes/" + "a".repeat(5000) + "/state";
        Forbidden e = assertThrows(Forbidden.class, () -> TokenAccess.requireNode(principal("bob", Map.of()), null, route));
        assertTrue(e.getMessage().length() < 600, e.getMessage());
    }

    @Test
    void aPrincipalCannotHoldABadNodeClaim() {
        assertThrows(RuntimeException.class, () -> principal("x", Map.of("node", "../etc")));
        assertThrows(RuntimeException.class, () -> principal("x", Map.of("node", 7)));
    }
}
