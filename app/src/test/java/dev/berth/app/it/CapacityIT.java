package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.app.config.Config;
import dev.berth.app.daemon.Daemon;
import dev.berth.app.daemon.Wiring;
import dev.berth.app.testing.Cli;
import dev.berth.app.testing.Sys;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.VolumeRef;
import dev.berth.host.testing.Root;
import dev.berth.protocols.docker.PluginClient;
import dev.berth.protocols.http.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7 items 5 and 11 through the real daemon, CLI, REST and Docker sockets: the pool is a
 * small ext4 filesystem of its own (an image made and loop-mounted by the test), so "full" is
 * a few dozen MiB away, as in the pool with 168 MiB free.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CapacityIT {
    static final long MIB = 1L << 20;

    @TempDir
    Path dir;
    Path poolFs;
    Path config;
    Daemon daemon;
    Cli cli;

    @BeforeEach
    void start() throws Exception {
        Root.require();
        Path image = dir.resolve("poolfs.img");
        Sys.Out mk = Sys.run(List.of("/usr/bin/truncate", "-s", "96M", image.toString()));
        assertEquals(0, mk.code(), mk.stderr());
        Sys.Out fs = Sys.run(List.of("/usr/sbin/mkfs.ext4", "-q", "-F", image.toString()));
        assertEquals(0, fs.code(), fs.stderr());
        poolFs = Files.createDirectories(dir.resolve("poolfs"));
        Sys.Out m = Sys.run(List.of("/usr/bin/mount", "-o", "loop", image.toString(), poolFs.toString()));
        assertEquals(0, m.code(), m.stderr());
        config = dir.resolve("config.yml");
        Files.writeString(config, """
                node: cap-node
                stateDir: %1$s/state
                socket: %1$s/berth.sock
                mountRoot: %1$s/volumes
                volumes:
                  defaultSize: 16M
                docker:
                  enabled: true
                  socket: %1$s/docker/berth.sock
                services:
                  local:
                    driver: loop
                    options: {pool: %2$s/pool}
                  thin:
                    driver: loop
                    options: {pool: %2$s/thin, overcommit: 3}
                  scratch:
                    driver: dir
                    options: {root: %1$s/dirs}
                  big:
                    driver: loop
                    options: {pool: %1$s/big}
                """.formatted(dir, poolFs));
        daemon = startDaemon();
        cli = new Cli(config);
    }

    private Daemon startDaemon() {
        Config cfg = Wiring.configLoader().load(config, Map.of(), Map.of());
        return Daemon.start(cfg, Checkpoints.NONE);
    }

    @AfterEach
    void stop() {
        try {
            if (daemon != null) {
                for (var v : daemon.volumes().list(null)) {
                    daemon.volumes().remove(new VolumeRef(v.name(), v.service()), true);
                }
                daemon.close();
            }
        } finally {
            if (poolFs != null) {
                Sys.run(List.of("/usr/bin/umount", poolFs.toString()));
            }
            Sys.cleanUp(dir);
        }
        assertEquals(List.of(), Sys.mountsUnder(dir), "mounts leaked");
        assertEquals(List.of(), Sys.loopsUnder(dir), "loop devices leaked");
    }

    private JsonNode service(String name) throws IOException {
        Cli.Result r = cli.run("service", "ls", "-o", "json");
        assertEquals(0, r.code(), r.toString());
        for (JsonNode s : Json.MAPPER.readTree(r.out())) {
            if (s.path("name").asText().equals(name)) {
                return s;
            }
        }
        throw new AssertionError("no service " + name + " in " + r.out());
    }

    private Cli.Result create(String name, long bytes, String service) {
        return cli.run("volume", "create", name, "--size", (bytes / MIB) + "M", "--service", service);
    }

    /** A size of which one fits the pool and two do not (as 100M of 168 MiB free in the issue). */
    private long mostOfTheFreeSpace() throws IOException {
        long free = service("local").path("availableBytes").asLong();
        assertTrue(free > 60 * MIB && free < 96 * MIB, "free " + free);
        return free * 6 / 10 / MIB * MIB;
    }

    /**
     * Issue 7 item 5. The pool is sparse: a new volume takes no space, so today every create
     * "fits" the free space and the pool is promised several times what it holds; once filled,
     * every volume in it breaks. Now the full sizes are counted.
     */
    @Test
    void aCreateThatWouldOvercommitThePoolIsRefused() throws Exception {
        long size = mostOfTheFreeSpace();
        Cli.Result first = create("v1", size, "local");
        assertEquals(0, first.code(), first.toString());
        Cli.Result second = create("v2", size, "local");
        assertEquals(5, second.code(), second.toString());
        assertTrue(second.err().contains("error: a " + (size / MIB) + ".0 MiB volume does not fit in service local next"
                + " to its volumes' " + (size / MIB) + ".0 MiB (full sizes): the pool can hold "), second.err());
        assertTrue(second.err().contains("hint: ask for at most "), second.err());
        assertEquals("v1\n", cli.run("volume", "ls", "-q").out());
        try (var images = Files.list(poolFs.resolve("pool"))) {
            assertEquals(1, images.filter(f -> f.toString().endsWith(".img")).count(), "no image for the refused volume");
        }

        // Data written into v1 moves space from free to occupied: the headroom stays (sparse files
        // do not fool the count either way), while the free space drops.
        JsonNode before = service("local");
        assertEquals(size, before.path("committedBytes").asLong());
        Cli.Result mount = cli.run("volume", "mount", "v1");
        assertEquals(0, mount.code(), mount.toString());
        Path data = Path.of(mount.out().strip());
        try (OutputStream out = Files.newOutputStream(data.resolve("fill"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, StandardOpenOption.SYNC)) {
            byte[] chunk = new byte[(int) MIB];
            java.util.Arrays.fill(chunk, (byte) 'x');
            for (int i = 0; i < 8; i++) {
                out.write(chunk);
            }
        }
        assertEquals(0, Sys.run(List.of("/usr/bin/sync", "-f", poolFs.toString())).code());
        JsonNode after = service("local");
        long freeDrop = before.path("availableBytes").asLong() - after.path("availableBytes").asLong();
        long headroomDrift = Math.abs(before.path("headroomBytes").asLong() - after.path("headroomBytes").asLong());
        assertTrue(freeDrop >= 8 * MIB, "8 MiB written into v1 took free space: " + freeDrop);
        assertTrue(headroomDrift < 2 * MIB, "but not headroom: " + before + " / " + after);

        long headroom = after.path("headroomBytes").asLong();
        assertTrue(headroom > 17 * MIB, "headroom " + headroom);
        long v2 = (headroom - MIB) / MIB * MIB;
        Cli.Result fits = create("v2", v2, "local");
        assertEquals(0, fits.code(), "what service ls says fits, fits: " + fits);
        assertEquals(5, create("v3", 16 * MIB, "local").code(), "and nothing more");

        // The count comes from the records: right after a restart too.
        daemon.close();
        daemon = startDaemon();
        Cli.Result again = create("v3", 16 * MIB, "local");
        assertEquals(5, again.code(), again.toString());
        assertEquals(size + v2, service("local").path("committedBytes").asLong());
        assertEquals(0, cli.run("volume", "unmount", "v1").code());
    }

    /** Two creates that each fit alone must not both pass: the check runs one at a time per service. */
    @Test
    void concurrentCreatesDoNotBothTakeTheSameSpace() throws Exception {
        long size = mostOfTheFreeSpace();
        int n = 8;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Cli.Result>> results = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = "c" + i;
            results.add(pool.submit(() -> {
                go.await();
                return create(name, size, "local");
            }));
        }
        go.countDown();
        int ok = 0;
        int full = 0;
        for (Future<Cli.Result> f : results) {
            Cli.Result r = f.get(2, TimeUnit.MINUTES);
            ok += r.code() == 0 ? 1 : 0;
            full += r.code() == 5 ? 1 : 0;
        }
        pool.shutdown();
        assertEquals(1, ok, "one of " + n + " fits");
        assertEquals(n - 1, full);
        assertEquals(1, cli.run("volume", "ls", "-q").out().lines().count());
    }

    /** A thin pool is the operator's choice, said loudly at start and visible in `service ls`. */
    @Test
    void overcommitAllowsAThinPoolAndSaysSo() throws Exception {
        assertTrue(daemon.notes().stream().anyMatch(l -> l.startsWith("WARNING: service thin over-commits its pool"
                + " (overcommit 3.0): its volumes' full sizes may add up to 3.0 times the space the pool has.")),
                daemon.notes().toString());
        assertTrue(daemon.notes().contains("service local: loop driver, pool " + poolFs.resolve("pool")),
                daemon.notes().toString());
        assertTrue(daemon.notes().contains("service thin: loop driver, overcommit 3, pool " + poolFs.resolve("thin")),
                daemon.notes().toString());
        assertTrue(daemon.notes().contains("service scratch: dir driver, root " + dir.resolve("dirs")),
                daemon.notes().toString());
        assertTrue(daemon.notes().stream().noneMatch(l -> l.contains("WARNING: service local")));
        long size = mostOfTheFreeSpace();
        for (String name : List.of("t1", "t2", "t3")) {
            Cli.Result r = create(name, size, "thin");
            assertEquals(0, r.code(), r.toString());
        }
        JsonNode thin = service("thin");
        assertEquals(3 * size, thin.path("committedBytes").asLong());
        assertEquals(3.0, thin.path("overcommit").asDouble());
        assertTrue(thin.path("committedBytes").asLong() > thin.path("availableBytes").asLong(), thin.toString());
        assertEquals(0, service("local").path("committedBytes").asLong(), "counted per service");

        Cli.Result table = cli.run("service", "ls");
        List<String> lines = table.out().lines().toList();
        assertTrue(lines.get(0).matches("SERVICE +DRIVER +TOTAL +FREE +COMMITTED +OVERCOMMIT +HEADROOM"), table.out());
        String thinRow = lines.stream().filter(l -> l.startsWith("thin ")).findFirst().orElseThrow();
        assertTrue(thinRow.matches("thin +loop +[0-9.]+ MiB +[0-9.]+ MiB +" + (3 * size / MIB) + "\\.0 MiB +3\\.00 +[0-9.]+ MiB"),
                thinRow);
        String dirRow = lines.stream().filter(l -> l.startsWith("scratch ")).findFirst().orElseThrow();
        assertTrue(dirRow.matches("scratch +dir +\\S+ \\S+ +\\S+ \\S+ +- +- +-"), "sizes are not counted for dir: " + dirRow);

        Cli.Result inspect = cli.run("volume", "inspect", "t1", "--service", "thin", "-o", "json");
        assertEquals(0, inspect.code(), inspect.toString());
        String poolFree = Json.MAPPER.readTree(inspect.out()).path("details").path("poolFree").asText();
        assertTrue(poolFree.matches("[0-9.]+ MiB free of [0-9.]+ MiB on the pool's filesystem"), poolFree);
    }

    /**
     * The scenario where the operator chose it: a thin pool (overcommit 3) whose volumes
     * are filled runs out of space, and the writes into the volumes are lost (ext4 records errors,
     * its journal cannot be written). Berth no longer mounts them without a word: e2fsck runs first,
     * and either its repair is logged or the mount is refused with its words.
     */
    @Test
    void aThinPoolThatFillsUpDamagesItsVolumesAndBerthSaysSo() throws Exception {
        List<String> said = new CopyOnWriteArrayList<>();
        Logger guard = Logger.getLogger("dev.berth.core.node.FilesystemGuard");
        guard.setFilter(r -> said.add(r.getLevel() + " " + r.getMessage())); // CLI runs reset log handlers
        try {
            assertEquals(0, create("f1", 64 * MIB, "thin").code());
            assertEquals(0, create("f2", 64 * MIB, "thin").code(), "128 MiB promised on a pool of less than 80");
            for (String name : List.of("f1", "f2")) {
                Cli.Result m = cli.run("volume", "mount", name, "--service", "thin");
                assertEquals(0, m.code(), m.toString());
                fill(Path.of(m.out().strip()).resolve("fill"), 56);
            }
            assertEquals(0, service("thin").path("availableBytes").asLong(), "the pool is full");
            for (String name : List.of("f1", "f2")) {
                cli.run("volume", "unmount", name, "--service", "thin"); // may fail on a broken filesystem
            }
            said.clear();
            Cli.Result full = cli.run("volume", "mount", "f1", "--service", "thin");
            if (full.code() == 0) {
                assertTrue(said.stream().anyMatch(l -> l.startsWith("WARNING") && l.contains("e2fsck -p")), said.toString());
                assertEquals(0, cli.run("volume", "unmount", "f1", "--service", "thin").code());
            } else {
                assertTrue(full.err().contains("has filesystem errors, so Berth does not mount it: the superblock says: "),
                        full.toString());
                assertTrue(full.err().contains("e2fsck -p /dev/loop"), full.toString());
            }
            // Space back (f2 removed), as when "the pool grew" in the issue: still never a silent mount.
            assertEquals(0, cli.run("volume", "rm", "--force", "f2", "--service", "thin").code());
            said.clear();
            Cli.Result again = cli.run("volume", "mount", "f1", "--service", "thin");
            if (again.code() == 0) {
                assertTrue(said.stream().anyMatch(l -> l.startsWith("WARNING") && l.contains("e2fsck -p")) || full.code() == 0,
                        "mounted after a repair that was said: " + said);
            } else {
                assertTrue(again.err().contains("e2fsck -p /dev/loop") && again.err().contains("hint: copy what matters"),
                        again.toString());
            }
        } finally {
            guard.setFilter(null);
        }
    }

    /** Writes {@code mib} MiB of incompressible data with fsync; on a full pool that may fail or not. */
    private static void fill(Path file, int mib) {
        byte[] chunk = new byte[(int) MIB];
        java.util.Random random = new java.util.Random(7);
        try (java.io.FileOutputStream out = new java.io.FileOutputStream(file.toFile())) {
            for (int i = 0; i < mib; i++) {
                random.nextBytes(chunk);
                out.write(chunk);
            }
            out.getFD().sync();
        } catch (IOException e) {
            // the point of the test: the pool ran out under the volume
        }
    }

    /**
     * Issue 7 item 11: `size=32M, fsType=xfs` was accepted, and then every first mount failed with
     * a mkfs.xfs usage dump. Refused at create, the same way on every protocol, and nothing made.
     */
    @Test
    void aVolumeBelowItsFilesystemsMinimumIsRefusedEverywhere() throws Exception {
        Cli.Result r = cli.run("volume", "create", "small", "--size", "32M", "--fs-type", "xfs");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("error: a 32M volume is too small for xfs: xfs needs at least 300M"), r.err());
        assertTrue(r.err().contains("hint: ask for at least 300M or use ext4"), r.err());
        assertEquals(2, cli.run("volume", "create", "small", "--size", "299M", "--fs-type", "XFS").code());
        try (PluginClient docker = PluginClient.connect(dir.resolve("docker/berth.sock"))) {
            PluginClient.Reply d = docker.call("/VolumeDriver.Create",
                    "{\"Name\":\"small\",\"Opts\":{\"size\":\"32M\",\"fsType\":\"xfs\"}}");
            assertTrue(d.err().contains("a 32M volume is too small for xfs: xfs needs at least 300M"), d.body());
            PluginClient.Reply n = docker.call("/VolumeDriver.Create",
                    "{\"Name\":\"small\",\"Opts\":{\"size\":\"32M\",\"newfstype\":\"xfs\"}}");
            assertTrue(n.err().contains("too small for xfs"), n.body());
        }
        assertEquals("", cli.run("volume", "ls", "-q").out());
        assertTrue(Files.notExists(poolFs.resolve("pool")), "no pool folder: nothing was ever made");

        // At its minimum it is made, and mounts (mkfs.xfs accepts it).
        Cli.Result ok = cli.run("volume", "create", "xfs300", "--size", "300M", "--fs-type", "xfs", "--service", "big");
        assertEquals(0, ok.code(), ok.toString());
        Cli.Result mount = cli.run("volume", "mount", "xfs300", "--service", "big");
        assertEquals(0, mount.code(), mount.toString());
        assertEquals(0, cli.run("volume", "unmount", "xfs300", "--service", "big").code());
    }
}
