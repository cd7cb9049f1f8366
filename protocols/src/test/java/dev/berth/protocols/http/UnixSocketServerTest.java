package dev.berth.protocols.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.protocols.docker.PluginClient;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several server instances on one unix socket: connections land on different event loops. */
class UnixSocketServerTest {
    @TempDir
    Path dir;
    final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get();
    }

    @Test
    void instancesShareTheSocketAndSpreadConnectionsOverEventLoops() {
        Path socket = dir.resolve("s.sock");
        Set<String> loops = ConcurrentHashMap.newKeySet();
        UnixSocketServer server = UnixSocketServer.start(vertx, socket, PosixFilePermissions.fromString("rw-rw----"), null,
                req -> {
                    loops.add(Thread.currentThread().getName());
                    req.response().end("{}");
                }, 2, new HttpGuard(socket.toString(), HttpLimits.DEFAULT, (resp, status, e) -> resp.setStatusCode(status).end()));
        List<PluginClient> clients = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            PluginClient c = PluginClient.connect(socket);
            clients.add(c);
            assertEquals(200, c.call("/x", "{}").status());
        }
        clients.forEach(PluginClient::close);
        assertEquals(2, loops.size(), "connections are handled on two event loops: " + loops);
        assertTrue(loops.stream().allMatch(n -> n.startsWith("vert.x-eventloop-thread-")), loops.toString());

        server.close();
        assertFalse(Files.exists(socket), "the socket file is removed on close");
    }
}
