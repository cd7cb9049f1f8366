package dev.berth.app.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.config.Config;
import dev.berth.app.config.Keys;
import dev.berth.app.testing.Cli;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.service.ServiceRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7 item 11: a loop service with {@code options: {}} silently used /var/lib/berth/pool. A
 * declared service names its folder or is refused when the config is loaded; the built-in default
 * service keeps the documented pool, and every service's folder is printed at start.
 */
class ServiceNotesTest {
    @TempDir
    Path dir;

    private Path file(String yaml) throws Exception {
        Path f = dir.resolve("c.yml");
        Files.writeString(f, "stateDir: " + dir + "/state\nsocket: " + dir + "/b.sock\nmountRoot: " + dir + "/v\n"
                + "docker: {enabled: false}\n" + yaml);
        return f;
    }

    private List<String> notes(Config cfg) {
        ServiceRegistry services = new ServiceRegistry(Wiring.drivers(cfg, Wiring.hostOps()), cfg.get(Keys.DEFAULT_SERVICE));
        return ServiceNotes.lines(cfg, services);
    }

    @Test
    void theBuiltInServiceKeepsTheDocumentedPoolAndSaysSo() throws Exception {
        Config cfg = Wiring.configLoader().load(file(""), Map.of(), Map.of());
        assertEquals(List.of("service local: loop driver, pool /var/lib/berth/pool (built in: the config has no services"
                + " section)"), notes(cfg));
    }

    @Test
    void aDeclaredServiceWithoutItsFolderIsRefusedBeforeAnythingRuns() throws Exception {
        for (String options : List.of("    options: {}\n", "", "    options:\n", "    options: {overcommit: 2}\n")) {
            Path f = file("services:\n  fast:\n    driver: loop\n" + options);
            Cli.Result env = Cli.raw("env", "--config", f.toString());
            assertEquals(2, env.code(), options + env);
            assertTrue(env.err().contains("error: service fast (file " + f + ") uses the loop driver without options.pool:"
                    + " Berth does not guess where its volumes' data goes"), env.err());
            assertTrue(env.err().contains("hint: set services.fast.options.pool to a folder, e.g. /var/lib/berth/pool"
                    + " (the default service's pool when the config has no services)"), env.err());
            Cli.Result serve = Cli.raw("serve", "--config", f.toString());
            assertEquals(2, serve.code(), serve.toString());
            assertTrue(Files.notExists(dir.resolve("state")), "serve made nothing");
        }
        Path noRoot = file("services:\n  local:\n    driver: dir\n    options: {}\n");
        Cli.Result dir = Cli.raw("env", "--config", noRoot.toString());
        assertEquals(2, dir.code(), dir.toString());
        assertTrue(dir.err().contains("uses the dir driver without options.root"), dir.err());
    }

    @Test
    void anEmptyPoolIsRefusedAsBefore() throws Exception {
        Config cfg = Wiring.configLoader().load(file("services:\n  local:\n    driver: loop\n    options: {pool: \"\"}\n"),
                Map.of(), Map.of());
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> Wiring.drivers(cfg, Wiring.hostOps()));
        assertTrue(e.getMessage().contains("pool"), e.getMessage());
    }

    @Test
    void everyServicesFolderIsPrintedAndAThinPoolLoudly() throws Exception {
        Config cfg = Wiring.configLoader().load(file("""
                services:
                  local: {driver: loop, options: {pool: /srv/pool}}
                  thin: {driver: loop, options: {pool: /srv/thin, overcommit: "2.5"}}
                  safe: {driver: loop, options: {pool: /srv/safe, overcommit: "0.9"}}
                  scratch: {driver: dir, options: {root: /srv/dirs}}
                """), Map.of(), Map.of());
        List<String> notes = notes(cfg);
        assertEquals(List.of(
                "service local: loop driver, pool /srv/pool",
                "service thin: loop driver, overcommit 2.5, pool /srv/thin",
                "WARNING: service thin over-commits its pool (overcommit 2.5): its volumes' full sizes may add up to"
                        + " 2.5 times the space the pool has. If they fill up, the pool runs out of space and writes"
                        + " fail in every volume in it, which can damage their filesystems. Watch COMMITTED and FREE"
                        + " in `berth service ls`.",
                "service safe: loop driver, overcommit 0.9, pool /srv/safe",
                "service scratch: dir driver, root /srv/dirs"), notes);
    }

    @Test
    void aDefaultSizeTooSmallForTheDefaultFilesystemIsRefused() throws Exception {
        Path f = file("volumes: {defaultSize: 64M, defaultFsType: xfs}\n");
        Cli.Result env = Cli.raw("env", "--config", f.toString());
        assertEquals(2, env.code(), env.toString());
        assertTrue(env.err().contains("volumes.defaultSize = 64M is too small for volumes.defaultFsType = xfs, which"
                + " needs at least 300M"), env.err());
    }
}
