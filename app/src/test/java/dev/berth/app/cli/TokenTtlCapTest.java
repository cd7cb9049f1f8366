package dev.berth.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.cli.TokenCommandTest.Run;
import dev.berth.protocols.rest.security.AuthConfig;
import dev.berth.protocols.rest.security.Principal;
import dev.berth.protocols.rest.security.TokenIssuer;
import dev.berth.protocols.rest.security.TokenVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `berth token new` never makes a token the controller would refuse for its lifetime. */
class TokenTtlCapTest {
    @TempDir
    Path tmp;

    static Run run(String... args) {
        return TokenCommandTest.run(args);
    }

    Path config(String yaml) throws Exception {
        Path f = tmp.resolve("config.yml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void anEndlessTtlIsRefusedWithAClearMessage() throws Exception {
        Path key = TokenIssuer.ensureHs256Key(tmp.resolve("token.key"));
        Path cfg = config("node: n\n");
        for (String ttl : new String[] {"999999999d", "31d", "721h", "2592001s"}) {
            Run r = run("new", "--subject", "alice", "--ttl", ttl, "--key", key.toString(), "--config", cfg.toString());
            assertEquals(2, r.code(), ttl + ": " + r.err());
            assertEquals("", r.out(), "no token is printed");
            assertTrue(r.err().contains("is longer than the maximum token lifetime of 30d (auth.maxTokenTtl)"), r.err());
            assertTrue(!r.err().contains("Exception"), r.err());
        }
        Run max = run("new", "--subject", "alice", "--ttl", "30d", "--key", key.toString(), "--config", cfg.toString());
        assertEquals(0, max.code(), max.err());
        Principal p = new TokenVerifier(AuthConfig.hs256(key)).verify("Bearer " + max.out().strip());
        assertEquals(Duration.ofDays(30), Duration.between(p.issuedAt(), p.expiresAt()));
    }

    @Test
    void theCapIsTheConfiguredMaximum() throws Exception {
        Path key = TokenIssuer.ensureHs256Key(tmp.resolve("token.key"));
        Path cfg = config("auth:\n  maxTokenTtl: 90d\n");
        Run r = run("new", "--subject", "ci", "--ttl", "60d", "--key", key.toString(), "--config", cfg.toString());
        assertEquals(0, r.code(), r.err());
        Path tight = config("auth:\n  maxTokenTtl: 1h\n");
        Run refused = run("new", "--subject", "ci", "--ttl", "2h", "--key", key.toString(), "--config", tight.toString());
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("maximum token lifetime of 60m"), refused.err());
    }

    @Test
    void ttlsThatAreNotLifetimesAreStillUsageErrors() {
        for (String ttl : new String[] {"9999999999d", "1y", "-1d", "1.5d", "", "0s"}) {
            assertEquals(2, run("new", "--subject", "alice", "--ttl", ttl, "--key", "k").code(), ttl);
        }
    }
}
