package dev.berth.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A config file with a typo stops every command with the closest valid key, before anything runs. */
class CliConfigTest {
    @TempDir
    Path dir;

    @Test
    void aTypoInTheConfigFileIsNamedWithTheFix() throws Exception {
        Path file = dir.resolve("config.yml");
        Files.writeString(file, "stateDir: " + dir + "/state\nmountRoot: " + dir + "/v\nvolumes:\n  defaultSise: 1G\n");
        Cli.Result env = Cli.raw("env", "--config", file.toString());
        assertEquals(2, env.code(), env.toString());
        assertTrue(env.err().contains("unknown config key 'volumes.defaultSise'"), env.toString());
        assertTrue(env.err().contains("hint: did you mean 'volumes.defaultSize'?"), env.toString());
        Cli.Result serve = Cli.raw("serve", "--config", file.toString());
        assertEquals(2, serve.code(), serve.toString());
        assertTrue(!Files.exists(dir.resolve("state")), "serve created nothing");
    }

    @Test
    void envShowsWhereEachValueComesFromAndHidesSecrets() throws Exception {
        Path file = dir.resolve("config.yml");
        Files.writeString(file, "mountRoot: /srv/volumes\ncontroller:\n  token: secret-token-value\n");
        Cli.Result env = Cli.raw("env", "--config", file.toString(), "--set", "leaseTtl=7s");
        assertEquals(0, env.code(), env.toString());
        assertTrue(env.out().lines().anyMatch(l -> l.startsWith("mountRoot") && l.contains("/srv/volumes")
                && l.contains("file " + file)), env.out());
        assertTrue(env.out().lines().anyMatch(l -> l.startsWith("leaseTtl") && l.contains("7s") && l.contains("flag")),
                env.out());
        assertTrue(env.out().lines().anyMatch(l -> l.startsWith("socket") && l.contains("default")), env.out());
        assertTrue(!env.out().contains("secret-token-value"), "secrets are not printed");
    }

    @Test
    void badNamesAreRefusedBeforeTheServerIsAsked() {
        Cli.Result r = Cli.raw("volume", "inspect", "--socket", dir.resolve("none.sock").toString(), "--", "a/b");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("contains '/'"), r.toString());
    }
}
