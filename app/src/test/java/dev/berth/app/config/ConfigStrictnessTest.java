package dev.berth.app.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A config file that says one thing twice is refused; the wire-limit and token keys are checked. */
class ConfigStrictnessTest {
    final ConfigLoader loader = new ConfigLoader(Map.of("loop", Set.of("pool"), "dir", Set.of("root")));
    @TempDir
    Path dir;

    Path file(String yaml) throws Exception {
        Path f = dir.resolve("c.yml");
        Files.writeString(f, yaml);
        return f;
    }

    InvalidArgument refused(String yaml) throws Exception {
        Path f = file(yaml);
        return assertThrows(InvalidArgument.class, () -> loader.load(f, Map.of(), Map.of()));
    }

    @Test
    void aTopLevelKeyGivenTwiceIsRefusedWithItsNameAndLine() throws Exception {
        InvalidArgument e = refused("node: a\nmountRoot: /tmp/m\nnode: b\n");
        assertTrue(e.getMessage().contains("has the key 'node' twice"), e.getMessage());
        assertTrue(e.getMessage().contains("(line 3)"), e.getMessage());
        assertTrue(e.hint().contains("keep one"), e.hint());
    }

    @Test
    void aNestedKeyGivenTwiceIsRefused() throws Exception {
        InvalidArgument e = refused("api:\n  listen: 127.0.0.1:1\n  listen: 0.0.0.0:2\n");
        assertTrue(e.getMessage().contains("'listen' twice"), e.getMessage());
    }

    @Test
    void aSectionGivenTwiceIsRefused() throws Exception {
        // the second "api" would silently replace the first, TLS setting and all
        InvalidArgument e = refused("api:\n  tls: true\nnode: x\napi:\n  listen: 0.0.0.0:7979\n");
        assertTrue(e.getMessage().contains("'api' twice"), e.getMessage());
    }

    @Test
    void aServiceOrOptionGivenTwiceIsRefused() throws Exception {
        assertTrue(refused("services:\n  a: {driver: dir, options: {root: /tmp/a}}\n  a: {driver: dir, options: {root: /tmp/b}}\n"
                + "volumes: {defaultService: a}\n").getMessage().contains("'a' twice"));
        assertTrue(refused("services:\n  a:\n    driver: dir\n    options: {root: /tmp/a, root: /}\nvolumes: {defaultService: a}\n")
                .getMessage().contains("'root' twice"));
        assertTrue(refused("services:\n  a:\n    driver: dir\n    allow: [x]\n    allow: ['*']\n    options: {root: /tmp/a}\n"
                + "volumes: {defaultService: a}\n").getMessage().contains("'allow' twice"));
    }

    @Test
    void aKeyGivenNestedAndDottedIsRefused() throws Exception {
        InvalidArgument e = refused("api:\n  listen: 127.0.0.1:1\napi.listen: 0.0.0.0:2\n");
        assertTrue(e.getMessage().contains("sets api.listen twice"), e.getMessage());
    }

    @Test
    void theNewKeysHaveTheirDocumentedDefaults() {
        Config c = loader.load(null, Map.of(), Map.of());
        assertEquals(Duration.ofDays(30), c.duration(Keys.AUTH_MAX_TOKEN_TTL));
        assertEquals(Duration.ofSeconds(20), c.duration(Keys.HTTP_HEADER_TIMEOUT));
        assertEquals(Duration.ofMinutes(2), c.duration(Keys.HTTP_IDLE_TIMEOUT));
        assertEquals(1024, c.count(Keys.HTTP_MAX_CONNECTIONS));
        assertEquals("BERTH_AUTH_MAX_TOKEN_TTL", Keys.AUTH_MAX_TOKEN_TTL.env());
        assertEquals("BERTH_HTTP_HEADER_TIMEOUT", Keys.HTTP_HEADER_TIMEOUT.env());
        assertEquals("BERTH_HTTP_MAX_CONNECTIONS", Keys.HTTP_MAX_CONNECTIONS.env());
    }

    @Test
    void theNewKeysAreSetByFileEnvAndFlag() throws Exception {
        Path f = file("auth:\n  maxTokenTtl: 7d\nhttp:\n  headerTimeout: 500ms\n");
        Config c = loader.load(f, Map.of("BERTH_HTTP_IDLE_TIMEOUT", "5m"), Map.of("http.maxConnections", "64"));
        assertEquals(Duration.ofDays(7), c.duration(Keys.AUTH_MAX_TOKEN_TTL));
        assertEquals(Duration.ofMillis(500), c.duration(Keys.HTTP_HEADER_TIMEOUT));
        assertEquals(Duration.ofMinutes(5), c.duration(Keys.HTTP_IDLE_TIMEOUT));
        assertEquals(64, c.count(Keys.HTTP_MAX_CONNECTIONS));
    }

    @ParameterizedTest
    @ValueSource(strings = {"auth.maxTokenTtl=0s", "auth.maxTokenTtl=forever", "auth.maxTokenTtl=9999999999d",
            "http.headerTimeout=0ms", "http.idleTimeout=-1s", "http.maxConnections=0", "http.maxConnections=lots",
            "http.maxConnections=99999999999", "http.maxConnections=-5"})
    void badValuesAreRefusedAtStart(String setting) {
        String[] kv = setting.split("=", 2);
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of(), Map.of(kv[0], kv[1])));
        assertTrue(e.getMessage().contains(kv[0]), e.getMessage());
        assertTrue(!e.hint().isEmpty(), "a hint says what to write");
    }
}
