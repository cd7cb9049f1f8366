package dev.berth.protocols.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.service.CombinedVolumes;
import dev.berth.protocols.http.Blocking;
import dev.berth.protocols.http.UnixSocketServer;
import dev.berth.protocols.rest.RemoteController;
import dev.berth.protocols.rest.RestClient;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent whose controllers cannot be reached (a real refused port) answers Docker 503 with an
 * Err that says what failed and which Docker command to run again: dockerd shows only Err.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class DockerUnavailableTest {
    @TempDir
    Path dir;

    @Test
    void theErrNamesTheUnreachableControllerAndWhatToRetry() throws Exception {
        URI dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
        Vertx vertx = Vertx.vertx();
        Path socket = dir.resolve("berth.sock");
        try (Blocking blocking = new Blocking();
             RemoteController controller = new RemoteController(RestClient.tcp(List.of(dead), null, null));
             UnixSocketServer server = new DockerPluginApi(new CombinedVolumes(controller, null), "a", blocking)
                     .serve(vertx, socket, null);
             PluginClient docker = PluginClient.connect(socket)) {
            PluginClient.Reply create = docker.call("/VolumeDriver.Create", "{\"Name\":\"db\",\"Opts\":{}}");
            assertEquals(503, create.status(), create.body());
            assertTrue(create.err().startsWith("cannot reach Berth at " + dead + ": connection refused"), create.err());
            assertTrue(create.err().endsWith("; retry `docker volume create` once Berth answers (a create is safe to repeat)"),
                    create.err());
            PluginClient.Reply list = docker.call("/VolumeDriver.List", "{}");
            assertEquals(503, list.status(), list.body());
            assertTrue(list.err().endsWith("; retry `docker volume ls` once Berth answers"), list.err());
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
