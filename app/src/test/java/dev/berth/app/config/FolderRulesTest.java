package dev.berth.app.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.daemon.Wiring;
import dev.berth.app.testing.ServeProcess;
import dev.berth.core.error.InvalidArgument;
import dev.berth.store.embedded.SqliteStateStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** stateDir, mountRoot and service folders must be Berth's own: refused at config load, naming the key. */
class FolderRulesTest {
    final ConfigLoader loader = Wiring.configLoader();
    @TempDir
    Path dir;

    private InvalidArgument refused(String yaml) throws Exception {
        Path f = Files.writeString(dir.resolve("c.yml"), yaml);
        return assertThrows(InvalidArgument.class, () -> loader.load(f, Map.of(), Map.of()), yaml);
    }

    private InvalidArgument refusedFlag(String key, String value) {
        return assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of(), Map.of(key, value)), key + "=" + value);
    }

    @Test
    void theRootOrASystemFolderIsNoStateDirectory() throws Exception {
        // Before: accepted, and `berth serve` wrote state.db and lock into /.
        InvalidArgument e = refusedFlag("stateDir", "/");
        assertEquals("stateDir = '/' (flag) is a system folder; Berth must have a folder of its own there", e.getMessage());
        assertEquals("use a folder only Berth uses, like /var/lib/berth/state", e.hint());
        for (String p : List.of("/etc", "/usr", "/var", "/var/lib", "/home", "/root", "/tmp", "/proc/self")) {
            assertTrue(refusedFlag("stateDir", p).getMessage().startsWith("stateDir = '" + p + "' (flag) is a system folder"), p);
        }
        InvalidArgument env = assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of("BERTH_STATE_DIR", "/var"), Map.of()));
        assertTrue(env.getMessage().startsWith("stateDir = '/var' (env BERTH_STATE_DIR)"), env.getMessage());
        InvalidArgument file = refused("stateDir: /etc\n");
        assertTrue(file.getMessage().startsWith("stateDir = '/etc' (file " + dir.resolve("c.yml") + ")"), file.getMessage());
    }

    @Test
    void theRootOrASystemFolderIsNoMountRoot() {
        // mountRoot: / would make the start-up reconcile unmount every file system of the host.
        for (String p : List.of("/", "/mnt", "/media", "/var/lib", "/run")) {
            InvalidArgument e = refusedFlag("mountRoot", p);
            assertEquals("mountRoot = '" + p + "' (flag) is a system folder; Berth must have a folder of its own there", e.getMessage());
            assertEquals("use a folder only Berth uses, like /var/lib/berth/volumes", e.hint());
        }
    }

    @Test
    void stateAndVolumesMustNotOverlap() {
        InvalidArgument inside = assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of(),
                Map.of("stateDir", "/srv/berth/volumes/state", "mountRoot", "/srv/berth/volumes")));
        assertTrue(inside.getMessage().contains("overlap: a volume would be mounted over the state"), inside.getMessage());
        assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of(), Map.of("stateDir", "/srv/b", "mountRoot", "/srv/b")));
        assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of(), Map.of("stateDir", "/srv/b", "mountRoot", "/srv/b/v")));
        loader.load(null, Map.of(), Map.of("stateDir", "/srv/b/state", "mountRoot", "/srv/b/volumes"));
    }

    @Test
    void serviceFoldersAreTheirOwn() throws Exception {
        InvalidArgument pool = refused("services:\n  local:\n    driver: loop\n    options: {pool: /}\n");
        assertEquals("services.local.options.pool = '/' (file " + dir.resolve("c.yml") + ") is a system folder; Berth must "
                + "have a folder of its own there", pool.getMessage());
        assertTrue(refused("services:\n  local:\n    driver: dir\n    options: {root: /home}\n").getMessage()
                .startsWith("services.local.options.root = '/home'"));
        InvalidArgument inMounts = refused("mountRoot: /srv/v\nservices:\n  local:\n    driver: loop\n    options: {pool: /srv/v/pool}\n");
        assertTrue(inMounts.getMessage().contains("is inside mountRoot = '/srv/v'"), inMounts.getMessage());
        InvalidArgument inState = refused("stateDir: /srv/s\nservices:\n  local:\n    driver: loop\n    options: {pool: /srv/s}\n");
        assertTrue(inState.getMessage().contains("overlaps stateDir = '/srv/s'"), inState.getMessage());
        InvalidArgument shared = refused("services:\n  local:\n    driver: loop\n    options: {pool: /srv/pool}\n"
                + "  fast:\n    driver: loop\n    options: {pool: /srv/pool/fast}\n");
        assertTrue(shared.getMessage().contains("each service needs a folder of its own"), shared.getMessage());
        Path ok = Files.writeString(dir.resolve("ok.yml"), "services:\n  local:\n    driver: loop\n    options: {pool: /srv/pool}\n"
                + "  fast:\n    driver: loop\n    options: {pool: /srv/fast}\n  scratch:\n    driver: dir\n    options: {root: /srv/dirs}\n");
        assertEquals(3, loader.load(ok, Map.of(), Map.of()).services().size());
    }

    @Test
    void aNulInAPathIsAConfigErrorNotAnException() throws Exception {
        InvalidArgument state = refused("stateDir: \"/srv/a\\0b\"\n");
        assertTrue(state.getMessage().startsWith("stateDir = '/srv/a\\0b' is not a valid path"), state.getMessage());
        InvalidArgument pool = refused("services:\n  local:\n    driver: loop\n    options: {pool: \"/srv/a\\0b\"}\n");
        assertTrue(pool.getMessage().contains("is not a valid path"), pool.getMessage());
        InvalidArgument cert = refused("api:\n  cert: \"/a\\0b\"\n");
        assertTrue(cert.getMessage().startsWith("api.cert = '/a\\0b' is not a valid path"), cert.getMessage());
    }

    @Test
    void aStateDirectoryWithSomethingElseInItIsRefusedBeforeServing() throws Exception {
        Path state = Files.createDirectories(dir.resolve("state"));
        Files.writeString(state.resolve("notes.txt"), "mine");
        Files.createDirectories(state.resolve("photos"));
        Config c = loader.load(null, Map.of(), Map.of("stateDir", state.toString()));
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> FolderRules.checkStateDirOnDisk(c));
        assertEquals("stateDir = '" + state + "' (flag) already holds 'notes.txt', 'photos', which Berth did not put there "
                + "(it keeps only state.db*, lock, grants.json, loop-devices.json, tls/ and auth/ in it)", e.getMessage());
        assertTrue(e.hint().startsWith("set stateDir to an empty or new folder"), e.hint());
        // What the loop driver keeps there is Berth's (a write cut short leaves its temporary file).
        Path nodeState = Files.createDirectories(dir.resolve("node-state"));
        Files.writeString(nodeState.resolve("loop-devices.json"), "{\"devices\":[]}");
        Files.writeString(nodeState.resolve(".loop-devices.json.123.tmp"), "");
        FolderRules.checkStateDirOnDisk(loader.load(null, Map.of(), Map.of("stateDir", nodeState.toString())));
        // Missing and empty are fine.
        FolderRules.checkStateDirOnDisk(loader.load(null, Map.of(), Map.of("stateDir", dir.resolve("new").toString())));
        FolderRules.checkStateDirOnDisk(loader.load(null, Map.of(), Map.of("stateDir", Files.createDirectories(dir.resolve("empty")).toString())));
    }

    @Test
    void whatTheStoreAndTheDaemonWriteIsAccepted() throws Exception {
        // The real store, so that a new file it starts to write shows up here as a refusal.
        Path state = dir.resolve("real");
        try (SqliteStateStore store = SqliteStateStore.open(state)) {
            for (int i = 0; i < 50; i++) {
                store.put("volumes/v" + i, ("spec " + i).getBytes());
            }
            Files.createDirectories(state.resolve("tls"));
            Files.createDirectories(state.resolve("auth"));
            try (Stream<Path> l = Files.list(state)) {
                assertTrue(l.count() >= 4, "the store wrote its files");
            }
            FolderRules.checkStateDirOnDisk(loader.load(null, Map.of(), Map.of("stateDir", state.toString())));
        }
        FolderRules.checkStateDirOnDisk(loader.load(null, Map.of(), Map.of("stateDir", state.toString())));
    }

    @Test
    void serveExitsWithAConfigErrorAndTouchesNothing() throws Exception {
        Path state = Files.createDirectories(dir.resolve("state"));
        Files.writeString(state.resolve("passwd"), "root:x:0:0\n");
        Path config = Files.writeString(dir.resolve("serve.yml"), """
                stateDir: %1$s/state
                socket: %1$s/berth.sock
                mountRoot: %1$s/volumes
                docker:
                  enabled: false
                services:
                  local:
                    driver: dir
                    options: {root: %1$s/dirs}
                """.formatted(dir));
        try (ServeProcess serve = ServeProcess.start(config, dir.resolve("serve.log"), Map.of())) {
            assertEquals(2, serve.awaitExit(), serve.log());
            assertTrue(serve.log().contains("error: stateDir = '" + state + "' (file " + config + ") already holds 'passwd'"),
                    serve.log());
        }
        try (Stream<Path> l = Files.list(state)) {
            assertEquals(List.of(state.resolve("passwd")), l.toList(), "no lock, no database written next to it");
        }
        assertTrue(!Files.exists(dir.resolve("berth.sock")) && !Files.exists(dir.resolve("dirs")));
    }
}
