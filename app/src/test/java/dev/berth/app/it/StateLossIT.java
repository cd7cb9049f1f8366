package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.testing.Cli;
import dev.berth.app.testing.ServeProcess;
import dev.berth.app.testing.Sys;
import dev.berth.app.testing.TestConfig;
import dev.berth.host.testing.Root;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state directory lost or damaged under a real `berth serve`, devices Berth did not attach,
 * and images deleted from outside (issue 7, items 6-10). Real loop devices, mounts, processes.
 */
class StateLossIT {
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    Path config;
    Path socket;
    Path state;
    Path pool;
    Cli cli;
    /** Files the test made immutable; made writable again after it, even after a failure. */
    private final List<Path> immutable = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        Root.require();
        config = TestConfig.write(dir, "loss-node");
        socket = dir.resolve("berth.sock");
        state = dir.resolve("state");
        pool = dir.resolve("pool");
        cli = new Cli(config);
    }

    @AfterEach
    void cleanUp() {
        if (!Root.isRoot()) {
            return;
        }
        for (Path p : immutable) {
            Sys.run(List.of("chattr", "-i", p.toString()));
        }
        Sys.cleanUp(dir);
    }

    // ---- item 6: the state directory vanishes while serving -----------------------------------

    @Test
    void removedStateDirectoryStopsWritesAndNoSecondServeTouchesTheFirstOnesDevice() throws Exception {
        try (ServeProcess first = ServeProcess.start(config, dir.resolve("first.log"), Map.of())) {
            first.awaitReady(socket, START);
            assertEquals(0, cli.run("volume", "create", "v1").code());
            Path data = Path.of(cli.run("volume", "mount", "v1", "--ref", "c1").out().strip());
            Files.writeString(data.resolve("keep.txt"), "written before the state was lost");
            assertEquals(200, health(socket).status());
            Path device = Path.of(Sys.loopsUnder(pool).get(0).split(" ")[0]);

            deleteTree(state);

            Http h = health(socket);
            assertEquals(503, h.status(), h.body());
            assertTrue(h.body().contains("\"status\":\"failed\"") && h.body().contains("was removed while Berth was using it"), h.body());
            Cli.Result create = cli.run("volume", "create", "v2");
            assertEquals(7, create.code(), create.toString());
            assertTrue(create.err().contains("the state store cannot save changes any more: the state directory "), create.err());
            assertTrue(create.err().contains("berth serve --adopt-pool"), create.err());
            Cli.Result mount = cli.run("volume", "mount", "v1", "--ref", "c2");
            assertEquals(7, mount.code(), "a mount that could not be recorded must not succeed: " + mount);
            // Reads go on from memory, so the operator sees what there was.
            assertEquals("v1\n", cli.run("volume", "ls", "-q").out());
            assertFalse(Files.exists(state), "nothing writes a new state directory");
            assertEquals(1, count(first.log(), "SEVERE"), "logged at SEVERE once:\n" + first.log());
            assertTrue(first.log().contains("the state store has lost its files"), first.log());

            // A second serve with the same configuration: refused before it looks at any device.
            try (ServeProcess second = ServeProcess.start(config, dir.resolve("second.log"), Map.of())) {
                assertEquals(4, second.awaitExit(), second.log());
                assertTrue(second.log().contains("another process is serving on " + socket), second.log());
            }
            // On the same state directory but another socket: the store is empty, the pool is not.
            try (ServeProcess third = ServeProcess.start(config, dir.resolve("third.log"), Map.of(),
                    "--socket", dir.resolve("third.sock").toString())) {
                assertEquals(7, third.awaitExit(), third.log());
                assertTrue(third.log().contains("is empty, but service local holds 1 volume image"), third.log());
                assertTrue(third.log().contains("berth serve --adopt-pool"), third.log());
                assertFalse(third.log().contains("reconcile:"), third.log());
            }
            assertEquals("0", autoclear(device), "nobody touched the first daemon's device");
            assertEquals(1, Sys.mountsUnder(dir.resolve("volumes")).size());
            assertEquals("written before the state was lost", Files.readString(data.resolve("keep.txt")));
            assertEquals(503, health(socket).status(), "the first daemon is still up and still failed");
            assertEquals(143, first.terminate());
        }

        // Recovery: the records come back from the pool, with the name; the data is intact.
        try (ServeProcess adopt = ServeProcess.start(config, dir.resolve("adopt.log"), Map.of(), "--adopt-pool")) {
            adopt.awaitReady(socket, START);
            assertLog(adopt, "as volume v1 (64M, ext4; from its metadata file)");
            assertEquals("v1\n", cli.run("volume", "ls", "-q").out());
            assertEquals(200, health(socket).status());
            Cli.Result again = cli.run("volume", "mount", "v1");
            assertEquals(0, again.code(), again.toString());
            assertEquals("written before the state was lost", Files.readString(Path.of(again.out().strip()).resolve("keep.txt")));
            assertEquals(0, cli.run("volume", "unmount", "v1").code());
            assertEquals(0, cli.run("volume", "rm", "v1").code());
            assertEquals(List.of(), Sys.loopsUnder(dir));
            assertEquals(143, adopt.terminate());
        }
    }

    @Test
    void emptyDatabaseOverAFullPoolIsRefusedAndAdoptPoolBringsTheVolumesBack() throws Exception {
        try (ServeProcess serve = ServeProcess.start(config, dir.resolve("a.log"), Map.of())) {
            serve.awaitReady(socket, START);
            assertEquals(0, cli.run("volume", "create", "db", "-l", "app=pg").code());
            assertEquals(0, cli.run("volume", "create", "cache", "--size", "80M").code());
            Path data = Path.of(cli.run("volume", "mount", "db").out().strip());
            Files.writeString(data.resolve("rows"), "42 rows");
            assertEquals(0, cli.run("volume", "unmount", "db").code());
            assertEquals(143, serve.terminate());
        }
        Files.write(state.resolve("state.db"), new byte[0]); // a 0-byte state.db
        assertFalse(Files.exists(state.resolve("state.db-wal")), "a clean stop leaves no WAL to recover from");

        try (ServeProcess refused = ServeProcess.start(config, dir.resolve("b.log"), Map.of())) {
            assertEquals(7, refused.awaitExit(), refused.log());
            assertTrue(refused.log().contains("error: the state store " + state + " is empty, but service local holds 2 volume images"),
                    refused.log());
            assertTrue(refused.log().contains("hint: if the state is gone for good, start once with `berth serve --adopt-pool`"),
                    refused.log());
        }
        // It stays refused (the refusal wrote nothing), and an agent cannot adopt.
        try (ServeProcess refused = ServeProcess.start(config, dir.resolve("c.log"), Map.of())) {
            assertEquals(7, refused.awaitExit(), refused.log());
        }
        try (ServeProcess agent = ServeProcess.start(config, dir.resolve("agent.log"), Map.of(), "--adopt-pool",
                "--role", "agent", "--controller", "https://127.0.0.1:9")) {
            assertEquals(2, agent.awaitExit(), agent.log());
            assertTrue(agent.log().contains("an agent has none"), agent.log());
        }

        // One image lost its metadata file: it comes back under a name made from its id.
        String cacheId = imageIds().stream().filter(id -> {
            try {
                return Files.readString(pool.resolve(id + ".meta.json")).contains("\"cache\"");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).findFirst().orElseThrow();
        Files.delete(pool.resolve(cacheId + ".meta.json"));
        try (ServeProcess adopt = ServeProcess.start(config, dir.resolve("d.log"), Map.of(), "--adopt-pool")) {
            adopt.awaitReady(socket, START);
            String recovered = "recovered-" + cacheId.substring(0, 12);
            assertLog(adopt, "as volume " + recovered + " (80M; no metadata file " + cacheId + ".meta.json");
            assertEquals("db\n" + recovered + "\n", cli.run("volume", "ls", "-q").out());
            Cli.Result inspect = cli.run("volume", "inspect", "db", "-o", "json");
            assertTrue(inspect.out().contains("\"app\" : \"pg\"") || inspect.out().contains("\"app\":\"pg\""), inspect.out());
            Cli.Result mount = cli.run("volume", "mount", "db");
            assertEquals(0, mount.code(), mount.toString());
            assertEquals("42 rows", Files.readString(Path.of(mount.out().strip()).resolve("rows")));
            assertEquals(0, cli.run("volume", "unmount", "db").code());
            assertEquals(143, adopt.terminate());
        }
        // A second adoption finds nothing more to do and keeps the names.
        try (ServeProcess again = ServeProcess.start(config, dir.resolve("e.log"), Map.of(), "--adopt-pool")) {
            again.awaitReady(socket, START);
            assertLog(again, "adopt-pool: nothing to adopt");
            assertEquals(143, again.terminate());
        }
        // A copy of db's image under another id: its metadata's name is taken, so it gets one from its id.
        String dbId = imageIds().stream().filter(id -> !id.equals(cacheId)).findFirst().orElseThrow();
        String copyId = "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";
        Files.copy(pool.resolve(dbId + ".img"), pool.resolve(copyId + ".img"));
        Files.writeString(pool.resolve(copyId + ".meta.json"), Files.readString(pool.resolve(dbId + ".meta.json")).replace(dbId, copyId));
        try (ServeProcess conflict = ServeProcess.start(config, dir.resolve("f.log"), Map.of(), "--adopt-pool")) {
            conflict.awaitReady(socket, START);
            assertLog(conflict, "adopted image " + copyId + ".img of service local as volume recovered-c0c0c0c0c0c0 (64M, ext4; "
                    + "its metadata file names it db, which is taken in service local)");
            for (String name : List.of("db", "recovered-" + cacheId.substring(0, 12), "recovered-c0c0c0c0c0c0")) {
                assertEquals(0, cli.run("volume", "rm", name).code(), name);
            }
            assertEquals(List.of(), imageIds());
            assertEquals(143, conflict.terminate());
        }
    }

    // ---- item 7: devices Berth did not attach -------------------------------------------------

    @Test
    void anUnknownImageAttachedAndMountedBySomeoneElseIsReportedAndLeftAlone() throws Exception {
        try (ServeProcess serve = ServeProcess.start(config, dir.resolve("a.log"), Map.of())) {
            serve.awaitReady(socket, START);
            assertEquals(0, cli.run("volume", "create", "known").code());
            assertEquals(143, serve.terminate());
        }
        // Someone else's image in Berth's pool, attached and mounted by them (not through Berth).
        String foreignId = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0";
        Path image = pool.resolve(foreignId + ".img");
        Sys.run(List.of("truncate", "-s", "64M", image.toString()));
        Path device = Path.of(Sys.run(List.of("losetup", "--find", "--show", image.toString())).stdout().strip());
        assertEquals(0, Sys.run(List.of("mkfs.ext4", "-q", device.toString())).code());
        Path theirs = Files.createDirectories(dir.resolve("theirs"));
        assertEquals(0, Sys.run(List.of("mount", device.toString(), theirs.toString())).code());
        Files.writeString(theirs.resolve("mine.txt"), "not Berth's");
        // And a stray image nobody attached.
        String strayId = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
        Sys.run(List.of("truncate", "-s", "64M", pool.resolve(strayId + ".img").toString()));

        try (ServeProcess serve = ServeProcess.start(config, dir.resolve("b.log"), Map.of())) {
            serve.awaitReady(socket, START);
            // Its device is someone else's (not one this node attached, not mounted under its mount
            // root): the node does not list it; the controller reports the image as owned by no record.
            assertLog(serve, "image " + foreignId + ".img of service local (64M) belongs to no volume record: left in place");
            assertLog(serve, "image " + strayId + ".img of service local (64M) belongs to no volume record: left in place");
            assertEquals("0", autoclear(device), "Berth must not run losetup --detach on a device it did not attach");
            assertEquals("not Berth's", Files.readString(theirs.resolve("mine.txt")));
            assertTrue(Files.exists(pool.resolve(strayId + ".img")), "an unowned image is reported, never deleted");
            assertEquals(0, cli.run("volume", "rm", "known").code());
            assertEquals(143, serve.terminate());
        }
        assertEquals(0, Sys.run(List.of("umount", theirs.toString())).code());
        assertEquals(0, Sys.run(List.of("losetup", "--detach", device.toString())).code());
    }

    @Test
    void aHalfWayVolumeWhoseDeviceIsMountedElsewhereIsReportedAndStartUpGoesOn() throws Exception {
        Path marker = dir.resolve("paused");
        Path device;
        try (ServeProcess serve = ServeProcess.start(config, dir.resolve("a.log"),
                Map.of("BERTH_TEST_PAUSE_AT", "after-attach", "BERTH_TEST_PAUSE_MARKER", marker.toString()))) {
            serve.awaitReady(socket, START);
            assertEquals(0, cli.run("volume", "create", "half").code());
            CompletableFuture<Cli.Result> mount = CompletableFuture.supplyAsync(() -> cli.run("volume", "mount", "half"));
            long deadline = System.nanoTime() + START.toNanos();
            while (!Files.exists(marker) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(Files.exists(marker), serve.log());
            device = Path.of(Sys.loopsUnder(pool).get(0).split(" ")[0]);
            serve.kill9();
            assertTrue(mount.get().code() != 0);
        }
        // While Berth is down, someone mounts the half-attached device somewhere else.
        assertEquals(0, Sys.run(List.of("mkfs.ext4", "-q", device.toString())).code());
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        assertEquals(0, Sys.run(List.of("mount", device.toString(), elsewhere.toString())).code());
        try (ServeProcess serve = ServeProcess.start(config, dir.resolve("b.log"), Map.of())) {
            serve.awaitReady(socket, START);
            assertLog(serve, "reconcile: volume half: could not reconcile: its loop device " + device
                    + " is still in use, so it is left attached: mounted at " + elsewhere.toRealPath());
            assertEquals("0", autoclear(device));
            assertEquals(0, Sys.run(List.of("umount", elsewhere.toString())).code());
            // Once it is free, Berth's own operations work on it again.
            Cli.Result mount = cli.run("volume", "mount", "half");
            assertEquals(0, mount.code(), mount.toString());
            assertEquals(0, cli.run("volume", "unmount", "half").code());
            assertEquals(0, cli.run("volume", "rm", "half").code());
            assertEquals(List.of(), Sys.loopsUnder(dir));
            assertEquals(143, serve.terminate());
        }
    }

    // ---- item 8: an image deleted from outside while mounted ------------------------------------

    @Test
    void unmountDetachAndForcedRemoveReleaseTheDeviceOfADeletedImage() throws Exception {
        try (ServeProcess serve = ServeProcess.start(config, dir.resolve("a.log"), Map.of())) {
            serve.awaitReady(socket, START);
            for (String[] release : List.of(new String[] {"volume", "unmount", "gone"},
                    new String[] {"volume", "detach", "gone", "--force"},
                    new String[] {"volume", "rm", "gone", "--force"})) {
                assertEquals(0, cli.run("volume", "create", "gone").code());
                assertEquals(0, cli.run("volume", "mount", "gone").code());
                String id = imageIds().get(0);
                Files.delete(pool.resolve(id + ".img"));
                assertTrue(Sys.loopsUnder(pool).get(0).contains("(deleted)"), Sys.loopsUnder(pool).toString());

                Cli.Result r = cli.run(release);
                assertEquals(0, r.code(), String.join(" ", release) + ": " + r);
                assertEquals(List.of(), Sys.loopsUnder(dir), String.join(" ", release) + " leaked the device:\n" + serve.log());
                assertEquals(List.of(), Sys.mountsUnder(dir.resolve("volumes")));
                assertTrue(serve.log().contains("the image file " + pool.resolve(id + ".img")
                        + " was deleted from outside; its loop device"), serve.log());
                if (!release[1].equals("rm")) {
                    assertEquals(0, cli.run("volume", "rm", "gone").code());
                }
                assertEquals(List.of(), imageIds(), "the metadata file went with the volume");
            }
            assertEquals(143, serve.terminate());
        }
    }

    @Test
    void aRestartReleasesTheDeviceOfAnImageDeletedWhileBerthWasDown() throws Exception {
        try (ServeProcess serve = ServeProcess.start(config, dir.resolve("a.log"), Map.of())) {
            serve.awaitReady(socket, START);
            assertEquals(0, cli.run("volume", "create", "gone").code());
            assertEquals(0, cli.run("volume", "mount", "gone", "--ref", "container-1").code());
            assertEquals(143, serve.terminate(), "SIGTERM keeps the mount");
        }
        String id = imageIds().get(0);
        Files.delete(pool.resolve(id + ".img"));
        String device = Sys.loopsUnder(pool).get(0).split(" ")[0];
        try (ServeProcess serve = ServeProcess.start(config, dir.resolve("b.log"), Map.of())) {
            serve.awaitReady(socket, START);
            assertLog(serve, "reconcile: the image file of volume gone was deleted from outside; its loop device "
                    + device + " is released; the data is gone");
            assertEquals(List.of(), Sys.loopsUnder(dir), serve.log());
            assertEquals(List.of(), Sys.mountsUnder(dir.resolve("volumes")));
            Cli.Result inspect = cli.run("volume", "inspect", "gone", "-o", "json");
            assertFalse(inspect.out().contains("container-1"), "the reference to the lost mount is dropped: " + inspect.out());
            assertEquals(0, cli.run("volume", "rm", "gone").code());
            assertEquals(143, serve.terminate());
        }
    }

    // ---- items 9 and 10: the database refuses writes while serving ----------------------------

    @Test
    void aDatabaseThatRefusesWritesIsAnErrorNotACrashAndLeavesNoOrphanImage() throws Exception {
        try (ServeProcess serve = ServeProcess.start(config, dir.resolve("a.log"), Map.of())) {
            serve.awaitReady(socket, START);
            assertEquals(0, cli.run("volume", "create", "before").code());
            assertEquals(0, cli.run("volume", "attach", "before").code());
            List<String> imagesBefore = imageIds();
            try (Stream<Path> files = Files.list(state)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    assertEquals(0, Sys.run(List.of("chattr", "+i", f.toString())).code(), "chattr +i " + f);
                    immutable.add(f);
                }
            }
            assertTrue(immutable.contains(state.resolve("state.db-wal")), immutable.toString());

            Cli.Result create = cli.run("volume", "create", "refused");
            assertEquals(1, create.code(), create.toString());
            assertTrue(create.err().contains("state database write failed"), create.err());
            // The name is reserved in the store before the backend object is made: a store that
            // refuses writes refuses the reservation, so no image is ever made for it.
            assertEquals(imagesBefore, imageIds(), "the failed create left no image and no metadata file");
            Http h = health(socket);
            assertEquals(503, h.status(), "the process is alive and says what is wrong: " + h.body());
            assertTrue(h.body().contains("the last write to the state database failed"), h.body());
            assertFalse(serve.log().contains("SIGBUS"), serve.log());
            // Nor does a mount that could not be recorded stay behind (the explicit attach does).
            Cli.Result mount = cli.run("volume", "mount", "before");
            assertEquals(1, mount.code(), mount.toString());
            assertTrue(mount.err().contains("state database write failed"), mount.err());
            assertEquals(List.of(), Sys.mountsUnder(dir.resolve("volumes")), "an unrecorded mount was left:\n" + serve.log());
            assertEquals(1, Sys.loopsUnder(pool).size(), "the explicitly attached device stays");

            for (Path f : immutable) {
                assertEquals(0, Sys.run(List.of("chattr", "-i", f.toString())).code());
            }
            immutable.clear();
            Cli.Result after = cli.run("volume", "create", "after");
            assertEquals(0, after.code(), "writes work again once the disk does: " + after);
            assertEquals(200, health(socket).status());
            assertEquals("after\nbefore\n", cli.run("volume", "ls", "-q").out());
            assertEquals(0, cli.run("volume", "rm", "after").code());
            assertEquals(0, cli.run("volume", "detach", "before").code());
            assertEquals(0, cli.run("volume", "rm", "before").code());
            assertEquals(List.of(), Sys.loopsUnder(dir));
            assertEquals(143, serve.terminate());
        }
    }

    // ---- helpers ---------------------------------------------------------------------------

    private record Http(int status, String body) {
    }

    /** The daemon prints its start-up report just after its socket answers: wait for the line. */
    private static void assertLog(ServeProcess serve, String text) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String log = serve.log();
        while (!log.contains(text) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            log = serve.log();
        }
        assertTrue(log.contains(text), "no line with \"" + text + "\" in:\n" + log);
    }

    /** GET /v1/health over the unix socket, HTTP/1.1 by hand (the JDK client has no unix sockets). */
    private static Http health(Path socket) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap("GET /v1/health HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII)));
            String text = new String(readAll(ch), StandardCharsets.UTF_8);
            int status = Integer.parseInt(text.substring(9, 12));
            return new Http(status, text.substring(text.indexOf("\r\n\r\n") + 4));
        }
    }

    private static byte[] readAll(SocketChannel ch) throws IOException {
        var out = new java.io.ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        while (ch.read(buf) >= 0) {
            out.write(buf.array(), 0, buf.position());
            buf.clear();
        }
        return out.toByteArray();
    }

    /** Volume ids of the images in the pool, sorted. */
    private List<String> imageIds() throws IOException {
        if (!Files.isDirectory(pool)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(pool)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".img") || n.endsWith(".meta.json"))
                    .map(n -> n.substring(0, n.indexOf('.'))).distinct().sorted().toList();
        }
    }

    private static String autoclear(Path device) throws IOException {
        return Files.readString(Path.of("/sys/block", device.getFileName().toString(), "loop/autoclear")).strip();
    }

    private static int count(String text, String word) {
        return text.split(word, -1).length - 1;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
