package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.testing.Cli;
import dev.berth.app.testing.LocalBerth;
import dev.berth.app.testing.Sys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad input through the real CLI and daemon: a clear error, an exit code, and nothing changed. */
class BadInputIT {
    @TempDir
    Path dir;
    LocalBerth berth;
    Cli cli;

    @BeforeEach
    void start() throws Exception {
        berth = LocalBerth.start(dir, "bad-node", Map.of());
        cli = berth.cli;
    }

    @AfterEach
    void stop() {
        if (berth != null) {
            berth.close();
        }
    }

    private void assertNothingCreated() throws Exception {
        assertEquals("", cli.run("volume", "ls", "-q").out());
        try (var pool = Files.list(dir.resolve("pool"))) {
            assertEquals(0, pool.count(), "nothing in the pool");
        } catch (java.nio.file.NoSuchFileException none) {
            // the pool folder is made on first create: also nothing
        }
        assertEquals(List.of(), Sys.loopsUnder(dir));
    }

    @ParameterizedTest(name = "create {0} --size {1} --fs-type {2} --service {3} -> exit {4}")
    @CsvSource(delimiter = '|', value = {
            "a/b        | 64M  | ext4 | local   | 2 | contains '/'",
            "..         | 64M  | ext4 | local   | 2 | '..'",
            "a..b       | 64M  | ext4 | local   | 2 | '..'",
            "ok         | 0    | ext4 | local   | 2 | is zero",
            "ok         | -1   | ext4 | local   | 2 | not a size",
            "ok         | 10XB | ext4 | local   | 2 | not a size",
            "ok         | 64M  | ntfs | local   | 2 | use one of: ext4, xfs",
            "ok         | 64M  | ext4 | nosuch  | 2 | unknown service 'nosuch'",
            "ok         | 100P | ext4 | local   | 5 | free"})
    void refusedCreates(String name, String size, String fs, String service, int code, String says) throws Exception {
        Cli.Result r = cli.run("volume", "create", "--size", size, "--fs-type", fs, "--service", service, "--", name);
        assertEquals(code, r.code(), r.toString());
        assertTrue(r.err().contains(says), r.toString());
        assertTrue(r.err().contains("hint: "), "every refusal says what to do next: " + r);
        assertNothingCreated();
    }

    @Test
    void refusedNamesThatCannotBeArgumentsOfTheirOwn() throws Exception {
        Cli.Result dash = cli.run("volume", "create", "--", "-rf");
        assertEquals(2, dash.code(), dash.toString());
        assertTrue(dash.err().contains("starts with '-'"), dash.toString());
        Cli.Result longName = cli.run("volume", "create", "--", "n".repeat(300));
        assertEquals(2, longName.code());
        assertTrue(longName.err().contains("is 300 characters long, the limit is 128"), longName.toString());
        assertNothingCreated();
    }

    @Test
    void removeOfAMountedVolumeNeedsForce() throws Exception {
        assertEquals(0, cli.run("volume", "create", "busy1").code());
        assertEquals(0, cli.run("volume", "mount", "busy1", "--ref", "app").code());
        Cli.Result r = cli.run("volume", "rm", "busy1");
        assertEquals(4, r.code(), r.toString());
        assertTrue(r.err().contains("is mounted") && r.err().contains("--force"), r.toString());
        assertEquals(1, Sys.mountsUnder(dir).size(), "still mounted");
        assertEquals(0, cli.run("volume", "inspect", "busy1").code(), "still there");
        Cli.Result forced = cli.run("volume", "rm", "--force", "busy1");
        assertEquals(0, forced.code(), forced.toString());
        assertEquals(List.of(), Sys.mountsUnder(dir));
        assertNothingCreated();
    }

    @Test
    void unknownVolumeIsNotFound() {
        Cli.Result r = cli.run("volume", "mount", "ghost");
        assertEquals(3, r.code(), r.toString());
        assertTrue(r.err().contains("no such volume: ghost"), r.toString());
    }

    @Test
    void incompatibleRecreateIsAConflictButSameIsIdempotent() throws Exception {
        assertEquals(0, cli.run("volume", "create", "same", "--size", "64M").code());
        assertEquals(0, cli.run("volume", "create", "same", "--size", "64M").code());
        Cli.Result r = cli.run("volume", "create", "same", "--size", "128M");
        assertEquals(4, r.code(), r.toString());
        assertTrue(r.err().contains("different size"), r.toString());
        assertEquals(1, cli.run("volume", "ls", "-q").out().lines().count());
        assertEquals(0, cli.run("volume", "rm", "same").code());
    }
}
