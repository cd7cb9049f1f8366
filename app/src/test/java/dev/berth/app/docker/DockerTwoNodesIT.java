package dev.berth.app.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.app.config.Config;
import dev.berth.app.daemon.Wiring;
import dev.berth.core.controller.ControllerService;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Node;
import dev.berth.core.node.NodeService;
import dev.berth.core.node.NodeSession;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.CombinedVolumes;
import dev.berth.core.service.MountLayout;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.VolumeDefaults;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StateStore;
import dev.berth.protocols.docker.DockerPluginApi;
import dev.berth.protocols.docker.PluginClient;
import dev.berth.protocols.docker.PluginClient.Reply;
import dev.berth.protocols.http.Blocking;
import dev.berth.protocols.http.UnixSocketServer;
import dev.berth.store.embedded.SqliteStateStore;
import dev.berth.store.json.JsonCodec;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes of one controller (in-process), node A serving Docker's protocol:
 * a volume node B holds is refused to A's Mount and Remove with an Err that names B, and A never
 * reports B's path as a Mountpoint. The dir driver keeps this test free of root.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DockerTwoNodesIT {
    @TempDir
    Path dir;
    final List<AutoCloseable> closeables = new ArrayList<>();
    CombinedVolumes nodeB;
    PluginClient pluginA;

    @BeforeEach
    void start() throws Exception {
        Path file = dir.resolve("config.yml");
        Files.writeString(file, """
                docker: {enabled: false}
                services:
                  local: {driver: dir, options: {root: %s/dirs}}
                """.formatted(dir));
        Config cfg = Wiring.configLoader().load(file, Map.of(), Map.of());
        HostOps host = Wiring.hostOps();
        StateStore store = SqliteStateStore.open(dir.resolve("state"));
        closeables.add(store);
        ServiceRegistry services = new ServiceRegistry(Wiring.drivers(cfg, host), "local");
        ControllerService controller = new ControllerService(store, new JsonCodec(), services,
                new VolumeDefaults(64L << 20, FsType.EXT4), Duration.ofSeconds(5), Clock.systemUTC());
        CombinedVolumes nodeA = node(controller, services, host, "node-a");
        nodeB = node(controller, services, host, "node-b");

        Vertx vertx = Vertx.vertx();
        closeables.add(() -> vertx.close().toCompletionStage().toCompletableFuture().get());
        Blocking blocking = new Blocking();
        closeables.add(blocking);
        Path socket = dir.resolve("docker.sock");
        UnixSocketServer server = new DockerPluginApi(nodeA, "node-a", blocking).serve(vertx, socket, null);
        closeables.add(server);
        pluginA = PluginClient.connect(socket);
        closeables.add(pluginA);
    }

    private CombinedVolumes node(ControllerService controller, ServiceRegistry services, HostOps host, String id) {
        NodeSession session = new NodeSession(controller, new Node(id, "", "test")).start();
        closeables.add(session);
        return new CombinedVolumes(controller, new NodeService(controller, id, services, host,
                new MountLayout(dir.resolve("mnt-" + id), "local"), Checkpoints.NONE));
    }

    @AfterEach
    void stop() throws Exception {
        Collections.reverse(closeables);
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    @Test
    void aVolumeHeldByAnotherNodeIsRefusedWithTheHoldersName() {
        assertEquals(200, pluginA.call("/VolumeDriver.Create", "{\"Name\":\"held\"}").status());
        String pathOnB = nodeB.mount(VolumeRef.of("held"), "container-on-b");

        Reply mount = pluginA.call("/VolumeDriver.Mount", "{\"Name\":\"held\",\"ID\":\"" + "a".repeat(64) + "\"}");
        assertEquals(409, mount.status(), mount.body());
        assertTrue(mount.err().startsWith("volume held is attached to node node-b (its lease has "), mount.err());
        assertTrue(mount.err().endsWith("(unmount it on node-b first, or wait until that node's lease expires)"), mount.err());

        Reply get = pluginA.call("/VolumeDriver.Get", "{\"Name\":\"held\"}");
        JsonNode vol = get.json().path("Volume");
        assertEquals("node-b", vol.path("Status").path("node").asText());
        assertEquals("mounted", vol.path("Status").path("status").asText());
        assertFalse(vol.has("Mountpoint"), "B's path is no use to A's dockerd: " + vol);
        assertFalse(pluginA.call("/VolumeDriver.List", "{}").json().path("Volumes").get(0).has("Mountpoint"));
        assertEquals("", pluginA.call("/VolumeDriver.Path", "{\"Name\":\"held\"}").json().path("Mountpoint").asText());

        Reply rm = pluginA.call("/VolumeDriver.Remove", "{\"Name\":\"held\"}");
        assertEquals(409, rm.status(), rm.body());
        assertTrue(rm.err().contains("on node node-b"), rm.err());

        // Once B lets go, A may mount it.
        nodeB.unmount(VolumeRef.of("held"), "container-on-b");
        Reply again = pluginA.call("/VolumeDriver.Mount", "{\"Name\":\"held\",\"ID\":\"" + "a".repeat(64) + "\"}");
        assertEquals(200, again.status(), again.body());
        assertEquals(pathOnB, again.json().path("Mountpoint").asText(), "the dir driver's folder is the same on both");
        assertEquals("node-a", pluginA.call("/VolumeDriver.Get", "{\"Name\":\"held\"}").json()
                .path("Volume").path("Status").path("node").asText());
        assertEquals(200, pluginA.call("/VolumeDriver.Unmount", "{\"Name\":\"held\",\"ID\":\"" + "a".repeat(64) + "\"}").status());
        assertEquals(200, pluginA.call("/VolumeDriver.Remove", "{\"Name\":\"held\"}").status());
    }
}
