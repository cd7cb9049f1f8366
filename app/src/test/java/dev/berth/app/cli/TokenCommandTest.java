package dev.berth.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.protocols.rest.security.AuthConfig;
import dev.berth.protocols.rest.security.Principal;
import dev.berth.protocols.rest.security.TokenIssuer;
import dev.berth.protocols.rest.security.TokenVerifier;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TokenCommandTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new TokenCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void newPrintsOnlyATokenTheControllerAccepts() {
        Path key = TokenIssuer.ensureHs256Key(tmp.resolve("token.key"));
        Run r = run("new", "--subject", "alice", "--ttl", "2h", "--key", key.toString(), "--claim", "team=storage");
        assertEquals(0, r.code(), r.err());
        String token = r.out().strip();
        assertEquals(1, r.out().lines().count());
        Principal p = new TokenVerifier(AuthConfig.hs256(key)).verify("Bearer " + token);
        assertEquals("alice", p.subject());
        assertEquals(Duration.ofHours(2), Duration.between(p.issuedAt(), p.expiresAt()));
        assertEquals("storage", p.claims().get("team"));

        Run dflt = run("new", "--subject", "bob", "--key", key.toString());
        Principal b = new TokenVerifier(AuthConfig.hs256(key)).verify("Bearer " + dflt.out().strip());
        assertEquals(Duration.ofHours(24), Duration.between(b.issuedAt(), b.expiresAt()));
    }

    @Test
    void badTtlAndMissingOptionsAreUsageErrors() {
        assertEquals(2, run("new", "--subject", "alice", "--ttl", "soon", "--key", "k").code());
        assertEquals(2, run("new", "--subject", "alice", "--ttl", "0h", "--key", "k").code());
        assertEquals(2, run("new", "--key", "k").code());
    }

    @Test
    void decodeShowsClaimsAndExpiry() {
        Path key = TokenIssuer.ensureHs256Key(tmp.resolve("token.key"));
        String live = TokenIssuer.issueHs256(key, "alice", Duration.ofHours(3), Map.of());
        Run r = run("decode", live);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"alg\":\"HS256\""), r.out());
        assertTrue(r.out().contains("\"sub\":\"alice\""), r.out());
        assertTrue(r.out().contains("(in 2h)") || r.out().contains("(in 3h)"), r.out());
        assertTrue(r.out().contains("not verified"), r.out());

        String expired = TokenIssuer.issueHs256(key, "alice", Duration.ofSeconds(1), Map.of());
        // an exp in the past without waiting: decode does not care about the signature
        String[] parts = expired.split("\\.");
        String claims = java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString("{\"sub\":\"alice\",\"iat\":1000,\"exp\":2000}".getBytes());
        Run old = run("decode", parts[0] + "." + claims + "." + parts[2]);
        assertTrue(old.out().contains("EXPIRED at 1970-01-01T00:33:20Z"), old.out());

        Run json = run("decode", "-o", "json", "Bearer " + live);
        assertTrue(json.out().contains("\"expired\" : false"), json.out());
    }

    @Test
    void nodeTokensForAgents() {
        Path key = TokenIssuer.ensureHs256Key(tmp.resolve("token.key"));
        TokenVerifier v = new TokenVerifier(AuthConfig.hs256(key));
        Run node = run("new", "--node", "host-a", "--key", key.toString());
        assertEquals(0, node.code(), node.err());
        Principal p = v.verify("Bearer " + node.out().strip());
        assertEquals("host-a", p.node());
        assertEquals("node-host-a", p.subject());
        Run both = run("new", "--node", "host-a", "--subject", "agent-a", "--key", key.toString());
        Principal q = v.verify("Bearer " + both.out().strip());
        assertEquals("agent-a", q.subject());
        assertEquals("host-a", q.node());

        Run neither = run("new", "--key", key.toString());
        assertEquals(2, neither.code());
        assertTrue(neither.err().contains("--subject NAME") && neither.err().contains("--node ID"), neither.err());
        assertTrue(run("new", "--node", "../etc", "--key", key.toString()).code() != 0);
        assertTrue(run("new", "--subject", "bob", "--claim", "node=host-a", "--key", key.toString()).code() != 0,
                "the node claim only comes from --node");
    }
}
