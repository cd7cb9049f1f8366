package dev.berth.app.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.config.Config;
import dev.berth.app.daemon.Daemon;
import dev.berth.app.daemon.Wiring;
import dev.berth.app.testing.DockerCli;
import dev.berth.app.testing.Sys;
import dev.berth.core.service.CombinedVolumes;
import dev.berth.core.service.CreateSnapshot;
import dev.berth.core.service.SnapshotPolicy;
import dev.berth.core.service.SnapshotView;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.spi.Progress;
import dev.berth.host.testing.Root;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots and expansion under a REAL container that keeps writing (dockerd from
 * e2e/docker/up.sh, Berth in this JVM serving the default plugin socket): a snapshot taken while
 * it writes is a clean filesystem, and the container sees a volume grow without a restart.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class DockerSnapshotIT {
    private static final Path PLUGIN_SOCKET = Path.of("/run/docker/plugins/berth.sock");
    private static final Duration T = Duration.ofMinutes(2);
    private static final String IMAGE = "local/busybox";

    @TempDir
    Path dir;
    DockerCli docker;
    Daemon daemon;
    CombinedVolumes volumes;
    final List<String> containers = new ArrayList<>();
    final List<String> dockerVolumes = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        Root.require();
        docker = DockerCli.require();
        assertTrue(docker.run(T, "image", "inspect", IMAGE).ok(), IMAGE + " is missing: run e2e/docker/up.sh");
        Path file = dir.resolve("config.yml");
        Files.writeString(file, """
                node: dsnap-node
                stateDir: %s/state
                socket: %s/berth.sock
                mountRoot: %s/volumes
                docker:
                  enabled: true
                  socket: %s
                csi:
                  enabled: false
                services:
                  local:
                    driver: loop
                    options:
                      pool: %s/pool
                """.formatted(dir, dir, dir, PLUGIN_SOCKET, dir));
        Config cfg = Wiring.configLoader().load(file, Map.of(), Map.of());
        daemon = Daemon.start(cfg, name -> { });
        volumes = daemon.volumes();
    }

    @AfterEach
    void stop() {
        try {
            if (docker != null && daemon != null) {
                containers.forEach(c -> docker.run(T, "rm", "-f", c));
                dockerVolumes.forEach(v -> docker.run(T, "volume", "rm", "-f", v));
                for (var v : volumes.list(null)) {
                    volumes.remove(new VolumeRef(v.name(), v.service()), true, SnapshotPolicy.DELETE);
                }
            }
        } finally {
            if (daemon != null) {
                daemon.close();
            }
            if (Root.isRoot()) {
                Sys.cleanUp(dir);
            }
        }
    }

    private String name(String what) {
        return "snap-" + what + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
    }

    private String startWriter(String volume) {
        String c = name("writer");
        containers.add(c);
        docker.ok(T, "run", "-d", "--name", c, "--network", "none", "-v", volume + ":/data", IMAGE, "sh", "-c",
                "i=0; while true; do i=$((i+1)); echo $i >> /data/counter; dd if=/dev/zero of=/data/blob bs=64k count=4 "
                        + "conv=fsync 2>/dev/null; done");
        return c;
    }

    private long counter(String container) {
        String out = docker.ok(T, "exec", container, "tail", "-n", "1", "/data/counter").strip();
        return out.isEmpty() ? 0 : Long.parseLong(out);
    }

    private void awaitProgress(String container, long beyond) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (counter(container) <= beyond && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        assertTrue(counter(container) > beyond, "the container stopped writing at " + counter(container));
    }

    @Test
    void aSnapshotTakenWhileAContainerWritesIsClean() throws Exception {
        String v = name("vol");
        dockerVolumes.add(v);
        docker.ok(T, "volume", "create", "-d", "berth", "-o", "size=64M", v);
        String c = startWriter(v);
        awaitProgress(c, 20);
        List<SnapshotView> taken = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            taken.add(volumes.snapshot(new CreateSnapshot(VolumeRef.of(v), "s" + i, null), Progress.NONE));
            awaitProgress(c, counter(c)); // the writer goes on after each thaw
        }
        for (SnapshotView s : taken) {
            assertEquals("frozen", s.consistency());
            Path img = dir.resolve("pool").resolve("snapshots").resolve(s.id() + ".img");
            Sys.Out fsck = Sys.run(List.of("/usr/sbin/e2fsck", "-f", "-n", img.toString()));
            assertEquals(0, fsck.code(), s.name() + ": " + fsck.stdout() + fsck.stderr());
        }
    }

    @Test
    void aContainerSeesItsVolumeGrowWhileItWrites() throws Exception {
        // xfs: it grows online wherever root may mount (ext4's online resize also needs
        // CAP_SYS_RESOURCE, which this test's hosts may lack; SnapshotIT covers both).
        String v = name("grow");
        dockerVolumes.add(v);
        docker.ok(T, "volume", "create", "-d", "berth", "-o", "size=320M", "-o", "fsType=xfs", v);
        String c = startWriter(v);
        awaitProgress(c, 10);
        long before = dfBytes(c);
        volumes.expand(VolumeRef.of(v), "512M");
        long after = dfBytes(c);
        assertTrue(after > before + (150L << 20), "df /data in the container: " + before + " -> " + after);
        long n = counter(c);
        awaitProgress(c, n);
        assertEquals("running", docker.ok(T, "inspect", "-f", "{{.State.Status}}", c).strip());
    }

    private long dfBytes(String container) {
        String[] lines = docker.ok(T, "exec", container, "df", "-k", "/data").strip().split("\n");
        String[] cols = lines[lines.length - 1].trim().split("\\s+");
        return Long.parseLong(cols[1]) * 1024;
    }
}
