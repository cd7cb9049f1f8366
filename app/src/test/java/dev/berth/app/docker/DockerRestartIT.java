package dev.berth.app.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.host.testing.Root;
import dev.berth.app.testing.ServeProcess;
import dev.berth.app.testing.SocketReady;
import dev.berth.app.testing.Sys;
import dev.berth.app.testing.TestConfig;
import dev.berth.protocols.docker.PluginClient;
import dev.berth.protocols.docker.PluginClient.Reply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real `berth serve` restarted between Mount and Unmount: the per-ID counts live in the store,
 * the mount stays up while Berth is down (containers keep running), and the last Unmount after
 * the restart still unmounts and detaches. Also measures time-to-socket-ready of the plugin socket.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DockerRestartIT {
    /** dockerd looks for a plugin for ~30 s; Berth must be listening well within that. */
    private static final Duration READY_LIMIT = Duration.ofSeconds(10);
    private static final String ID1 = "a".repeat(64);
    private static final String ID2 = "b".repeat(64);
    private static final Map<String, String> DOCKER_ON = Map.of("BERTH_DOCKER_ENABLED", "true");

    @TempDir
    Path dir;
    Path config;
    Path socket;
    /** System.nanoTime() just before the latest `berth serve` was started. */
    long startedAt;

    @BeforeEach
    void setUp() throws Exception {
        Root.require();
        config = TestConfig.write(dir, "restart-node");
        socket = dir.resolve("docker/berth.sock");
    }

    @AfterEach
    void noLeaks() {
        if (!Root.isRoot()) {
            return;
        }
        Sys.cleanUp(dir);
    }

    @Test
    void mountCountsSurviveARestartAndTheLastUnmountStillDetaches() throws Exception {
        Path data = dir.resolve("volumes/db/data");
        Duration firstStart;
        try (ServeProcess serve = start("serve1.log")) {
            firstStart = readyAfter(serve);
            try (PluginClient plugin = PluginClient.connect(socket)) {
                assertEquals(200, plugin.call("/VolumeDriver.Create", "{\"Name\":\"db\",\"Opts\":{\"size\":\"64M\"}}").status());
                assertEquals(data.toString(), mount(plugin, ID1).json().path("Mountpoint").asText());
                assertEquals(data.toString(), mount(plugin, ID2).json().path("Mountpoint").asText());
            }
            Files.writeString(data.resolve("before.txt"), "written before the restart");
            assertEquals(143, serve.terminate(), "SIGTERM ends the JVM with 128+15");
        }
        assertFalse(Files.exists(socket), "the plugin socket is removed on stop, so dockerd sees no stale plugin");
        assertEquals(1, Sys.mountsUnder(dir.resolve("volumes")).size(), "stopping Berth must not unmount volumes in use");
        assertEquals(1, Sys.loopsUnder(dir.resolve("pool")).size());
        Files.writeString(data.resolve("during.txt"), "written while Berth was down");

        Duration secondStart;
        try (ServeProcess serve = start("serve2.log")) {
            secondStart = readyAfter(serve);
            try (PluginClient plugin = PluginClient.connect(socket)) {
                JsonNode vol = plugin.call("/VolumeDriver.Get", "{\"Name\":\"db\"}").json().path("Volume");
                assertEquals(2, vol.path("Status").path("mountRefs").asInt(), vol.toString() + "\n" + serve.log());
                assertEquals("mounted", vol.path("Status").path("status").asText());
                assertEquals(data.toString(), vol.path("Mountpoint").asText());

                assertEquals(200, unmount(plugin, ID1).status());
                assertEquals(1, Sys.mountsUnder(dir.resolve("volumes")).size(), "ID2 still uses it");
                assertEquals(1, plugin.call("/VolumeDriver.Get", "{\"Name\":\"db\"}").json()
                        .path("Volume").path("Status").path("mountRefs").asInt());
                assertEquals(200, unmount(plugin, ID2).status());
                assertEquals(List.of(), Sys.mountsUnder(dir), "the last Unmount after the restart unmounts");
                assertEquals(List.of(), Sys.loopsUnder(dir), "... and detaches");

                Path again = Path.of(mount(plugin, ID1).json().path("Mountpoint").asText());
                assertEquals("written before the restart", Files.readString(again.resolve("before.txt")));
                assertEquals("written while Berth was down", Files.readString(again.resolve("during.txt")));
                assertEquals(200, unmount(plugin, ID1).status());
                assertEquals(200, plugin.call("/VolumeDriver.Remove", "{\"Name\":\"db\"}").status());
            }
            assertEquals(143, serve.terminate());
        }
        System.out.printf("time-to-socket-ready (process start -> Docker plugin socket accepts): "
                + "fresh %d ms, restart with a mounted volume %d ms%n", firstStart.toMillis(), secondStart.toMillis());
        assertTrue(firstStart.compareTo(READY_LIMIT) < 0, "first start took " + firstStart);
        assertTrue(secondStart.compareTo(READY_LIMIT) < 0, "restart took " + secondStart);
    }

    private ServeProcess start(String log) throws Exception {
        startedAt = System.nanoTime();
        return ServeProcess.start(config, dir.resolve(log), DOCKER_ON);
    }

    /** Time from the process start to the plugin socket accepting; then checks the process is healthy. */
    private Duration readyAfter(ServeProcess serve) throws Exception {
        Duration took = SocketReady.await(socket, startedAt, Duration.ofSeconds(60));
        serve.awaitReady(socket, Duration.ofSeconds(5));
        return took;
    }

    private static Reply mount(PluginClient plugin, String id) {
        Reply r = plugin.call("/VolumeDriver.Mount", "{\"Name\":\"db\",\"ID\":\"" + id + "\"}");
        assertEquals(200, r.status(), r.body());
        return r;
    }

    private static Reply unmount(PluginClient plugin, String id) {
        return plugin.call("/VolumeDriver.Unmount", "{\"Name\":\"db\",\"ID\":\"" + id + "\"}");
    }
}
