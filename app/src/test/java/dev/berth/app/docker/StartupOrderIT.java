package dev.berth.app.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.app.testing.ServeProcess;
import dev.berth.app.testing.Sys;
import dev.berth.app.testing.TestConfig;
import dev.berth.host.testing.Root;
import dev.berth.protocols.docker.PluginClient;
import dev.berth.protocols.docker.PluginClient.Reply;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up order of a real `berth serve`: the Docker plugin socket answers before the
 * reconcile is over, and while one volume's reconcile is still going on (held at the
 * "reconcile-volume" checkpoint: a slow re-adoption cannot be caused on demand), calls that name
 * that volume wait and are refused with 503 after api.taskWait, never answered from its
 * half-reconciled state, while Activate, List and every other volume are served.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StartupOrderIT {
    private static final String ID = "c".repeat(64);

    @TempDir
    Path dir;
    Path config;
    Path docker;
    Path local;

    @BeforeEach
    void setUp() throws Exception {
        Root.require();
        config = TestConfig.write(dir, "order-node");
        docker = dir.resolve("docker/berth.sock");
        local = dir.resolve("berth.sock");
    }

    @AfterEach
    void noLeaks() {
        if (!Root.isRoot()) {
            return;
        }
        Sys.cleanUp(dir);
    }

    @Test
    void aVolumeStillBeingReconciledWaitsWhileTheRestIsServed() throws Exception {
        Path data = dir.resolve("volumes/busy/data");
        try (ServeProcess serve = start("serve1.log", Map.of())) {
            serve.awaitReady(local, Duration.ofSeconds(60));
            try (PluginClient plugin = PluginClient.connect(docker)) {
                ok(plugin.call("/VolumeDriver.Create", "{\"Name\":\"busy\"}"));
                ok(plugin.call("/VolumeDriver.Create", "{\"Name\":\"idle\"}"));
                assertEquals(data.toString(), ok(plugin.call("/VolumeDriver.Mount",
                        "{\"Name\":\"busy\",\"ID\":\"" + ID + "\"}")).json().path("Mountpoint").asText());
            }
            assertEquals(143, serve.terminate());
        }
        // As after a reboot: the mount is gone, the store still says a container uses the volume,
        // so the next start has to mount it again (its reconcile is pending).
        assertEquals(0, Sys.run(List.of("/usr/bin/umount", dir.resolve("volumes/busy").toString())).code());
        assertEquals(List.of(), Sys.mountsUnder(dir.resolve("volumes")));

        Path marker = dir.resolve("paused");
        try (ServeProcess serve = start("serve2.log", Map.of("BERTH_TEST_PAUSE_AT", "reconcile-volume",
                "BERTH_TEST_PAUSE_MARKER", marker.toString()))) {
            awaitFile(marker, serve);
            assertFalse(accepts(local), "the local socket is served only once the start is over");
            try (PluginClient plugin = PluginClient.connect(docker)) {
                ok(plugin.call("/Plugin.Activate", null));
                JsonNode listed = ok(plugin.call("/VolumeDriver.List", "{}")).json().path("Volumes");
                List<String> names = new ArrayList<>();
                listed.forEach(v -> names.add(v.path("Name").asText()));
                assertEquals(List.of("busy", "idle"), names, serve.log());

                // The volume whose reconcile is pending: refused after the wait, never answered
                // from its records (they say mounted; the host has no mount yet).
                long t0 = System.nanoTime();
                Reply path = plugin.call("/VolumeDriver.Path", "{\"Name\":\"busy\"}");
                assertEquals(503, path.status(), path.body());
                assertTrue(path.body().contains("still being reconciled"), path.body());
                assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(900).toNanos(), "it waited api.taskWait first");
                Reply mount = plugin.call("/VolumeDriver.Mount", "{\"Name\":\"busy\",\"ID\":\"" + "d".repeat(64) + "\"}");
                assertEquals(503, mount.status(), mount.body());
                assertEquals(503, plugin.call("/VolumeDriver.Get", "{\"Name\":\"busy\"}").status());
                assertEquals(503, plugin.call("/VolumeDriver.Remove", "{\"Name\":\"busy\"}").status());
                assertEquals(List.of(), Sys.mountsUnder(dir.resolve("volumes")), "nothing was mounted for it meanwhile");

                // Every other volume is served at once, host work included.
                assertEquals("available", ok(plugin.call("/VolumeDriver.Get", "{\"Name\":\"idle\"}")).json()
                        .path("Volume").path("Status").path("status").asText());
                String idle = ok(plugin.call("/VolumeDriver.Mount", "{\"Name\":\"idle\",\"ID\":\"" + ID + "\"}"))
                        .json().path("Mountpoint").asText();
                assertEquals(dir.resolve("volumes/idle/data").toString(), idle);
                ok(plugin.call("/VolumeDriver.Unmount", "{\"Name\":\"idle\",\"ID\":\"" + ID + "\"}"));
                ok(plugin.call("/VolumeDriver.Create", "{\"Name\":\"fresh\"}"));
            }
            serve.kill9();
        }

        try (ServeProcess serve = start("serve3.log", Map.of())) {
            serve.awaitReady(local, Duration.ofSeconds(60));
            try (PluginClient plugin = PluginClient.connect(docker)) {
                assertEquals(data.toString(), ok(plugin.call("/VolumeDriver.Path", "{\"Name\":\"busy\"}"))
                        .json().path("Mountpoint").asText(), "re-adopted and mounted again once its reconcile ran");
                ok(plugin.call("/VolumeDriver.Unmount", "{\"Name\":\"busy\",\"ID\":\"" + ID + "\"}"));
                for (String name : List.of("busy", "idle", "fresh")) {
                    ok(plugin.call("/VolumeDriver.Remove", "{\"Name\":\"" + name + "\"}"));
                }
            }
            assertEquals(List.of(), Sys.mountsUnder(dir));
            assertEquals(List.of(), Sys.loopsUnder(dir));
            assertEquals(143, serve.terminate());
        }
    }

    private ServeProcess start(String log, Map<String, String> env) throws IOException {
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("BERTH_DOCKER_ENABLED", "true");
        all.put("BERTH_API_TASK_WAIT", "1s");
        return ServeProcess.start(config, dir.resolve(log), all);
    }

    private static Reply ok(Reply r) {
        assertEquals(200, r.status(), r.body());
        return r;
    }

    private static boolean accepts(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void awaitFile(Path file, ServeProcess serve) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(file)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("never reached the checkpoint:\n" + serve.log());
            }
            Thread.sleep(20);
        }
    }
}
