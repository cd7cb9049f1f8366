package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.daemon.Daemon;
import dev.berth.app.testing.Cli;
import dev.berth.app.testing.LocalBerth;
import dev.berth.app.testing.Sys;
import dev.berth.core.service.VolumeRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole life of a volume on real loop devices and real mounts, driven through the CLI. */
class VolumeLifecycleIT {
    @TempDir
    Path dir;
    LocalBerth berth;
    Daemon daemon;
    Cli cli;

    @BeforeEach
    void start() throws Exception {
        berth = LocalBerth.start(dir, "it-node", Map.of());
        daemon = berth.daemon;
        cli = berth.cli;
    }

    @AfterEach
    void stop() {
        if (berth != null) {
            berth.close();
        }
        assertEquals(List.of(), Sys.mountsUnder(dir), "mounts leaked");
        assertEquals(List.of(), Sys.loopsUnder(dir), "loop devices leaked");
    }

    @Test
    void createMountWriteUnmountMountReadRemove() throws Exception {
        Cli.Result created = cli.run("volume", "create", "db", "--size", "64M");
        assertEquals(0, created.code(), created.toString());
        assertTrue(Files.size(dir.resolve("pool")
                .resolve(daemon.volumes().inspect(VolumeRef.of("db")).id() + ".img")) == 64L << 20);

        Cli.Result mounted = cli.run("volume", "mount", "db");
        assertEquals(0, mounted.code(), mounted.toString());
        Path data = Path.of(mounted.out().strip());
        assertEquals(dir.resolve("volumes/db/data"), data);
        assertEquals(1, Sys.loopsUnder(dir.resolve("pool")).size());
        assertTrue(Sys.mountsUnder(dir).contains(dir.resolve("volumes/db").toString()));
        Files.writeString(data.resolve("hello.txt"), "kept across mounts");

        assertEquals(data.toString(), cli.run("volume", "path", "db").out().strip());
        assertTrue(cli.run("volume", "ls").out().contains("mounted"));

        assertEquals(0, cli.run("volume", "unmount", "db").code());
        assertEquals(List.of(), Sys.mountsUnder(dir));
        assertEquals(List.of(), Sys.loopsUnder(dir));
        assertFalse(Files.exists(data.resolve("hello.txt")), "the file must live on the volume, not the host");

        Path again = Path.of(cli.run("volume", "mount", "db").out().strip());
        assertEquals("kept across mounts", Files.readString(again.resolve("hello.txt")));
        assertEquals(0, cli.run("volume", "unmount", "db").code());

        Cli.Result rm = cli.run("volume", "rm", "db");
        assertEquals(0, rm.code(), rm.toString());
        try (var files = Files.list(dir.resolve("pool"))) {
            assertEquals(0, files.count(), "backing file removed");
        }
        assertEquals(3, cli.run("volume", "inspect", "db").code());
    }

    @Test
    void xfsVolumeIsFormattedAsXfs() throws Exception {
        assertEquals(0, cli.run("volume", "create", "x1", "--size", "320M", "--fs-type", "xfs").code());
        Path data = Path.of(cli.run("volume", "mount", "x1").out().strip());
        String fs = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.split(" ")[4].equals(data.getParent().toString()))
                .map(l -> l.split(" - ")[1].split(" ")[0]).findFirst().orElse("none");
        assertEquals("xfs", fs);
        assertEquals(0, cli.run("volume", "unmount", "x1").code());
    }

    @Test
    void concurrentMountsOfOneVolumeAttachOnceAndCountRefs() throws Exception {
        daemon.volumes().create(new dev.berth.core.service.CreateVolume("shared", null, "64M", null, null));
        List<Callable<String>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String ref = "ref-" + i;
            calls.add(() -> daemon.volumes().mount(VolumeRef.of("shared"), ref));
        }
        List<String> paths = new ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(8)) {
            for (Future<String> f : pool.invokeAll(calls)) {
                paths.add(f.get());
            }
        }
        assertEquals(1, paths.stream().distinct().count());
        assertEquals(1, Sys.loopsUnder(dir.resolve("pool")).size());
        assertEquals(1, Sys.mountsUnder(dir).size());
        assertEquals(8, daemon.volumes().inspect(VolumeRef.of("shared")).mountRefs().size());
        for (int i = 0; i < 7; i++) {
            daemon.volumes().unmount(VolumeRef.of("shared"), "ref-" + i);
        }
        assertEquals(1, Sys.mountsUnder(dir).size(), "still one user");
        daemon.volumes().unmount(VolumeRef.of("shared"), "ref-7");
        assertEquals(List.of(), Sys.mountsUnder(dir));
        assertEquals(List.of(), Sys.loopsUnder(dir));
        assertEquals("available", daemon.volumes().inspect(VolumeRef.of("shared")).status());
    }

    @Test
    void attachDetachAndDirDriver() throws Exception {
        assertEquals(0, cli.run("volume", "create", "a1").code());
        Cli.Result att = cli.run("volume", "attach", "a1", "-o", "json");
        assertEquals(0, att.code(), att.toString());
        assertTrue(att.out().contains("\"status\" : \"attached\""), att.out());
        assertEquals(1, Sys.loopsUnder(dir).size());
        // mount and unmount keep an explicit attachment
        assertEquals(0, cli.run("volume", "mount", "a1").code());
        assertEquals(0, cli.run("volume", "unmount", "a1").code());
        assertEquals(1, Sys.loopsUnder(dir).size());
        assertEquals(List.of(), Sys.mountsUnder(dir));
        assertEquals(0, cli.run("volume", "detach", "a1").code());
        assertEquals(List.of(), Sys.loopsUnder(dir));

        assertEquals(0, cli.run("volume", "create", "notes", "--service", "scratch").code());
        Cli.Result insp = cli.run("volume", "inspect", "notes");
        assertTrue(insp.out().contains("not enforced"), insp.out());
        Path p = Path.of(cli.run("volume", "mount", "notes").out().strip());
        Files.writeString(p.resolve("n.txt"), "x");
        assertEquals(0, cli.run("volume", "unmount", "notes").code());
        assertEquals(0, cli.run("volume", "rm", "notes").code());
    }
}
