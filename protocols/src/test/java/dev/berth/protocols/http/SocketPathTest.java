package dev.berth.protocols.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.BerthException;
import dev.berth.core.error.InvalidArgument;
import dev.berth.protocols.docker.PluginClient;
import io.vertx.core.Vertx;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only a stale socket is replaced at start. Before: anything at the socket path that did not
 * accept a connection was deleted — as root, `socket: /etc/shadow` would have removed that file.
 */
class SocketPathTest {
    @TempDir
    Path dir;
    final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get();
    }

    private BerthException refused(Path socket) {
        return assertThrows(BerthException.class, () -> UnixSocketServer.start(vertx, socket,
                PosixFilePermissions.fromString("rw-------"), null, req -> req.response().end("{}"), 1,
                new HttpGuard(socket.toString(), HttpLimits.DEFAULT, (resp, status, e) -> resp.setStatusCode(status).end())));
    }

    @Test
    void aRegularFileAtTheSocketPathIsRefusedAndKept() throws Exception {
        Path file = Files.writeString(dir.resolve("shadow"), "root:*:19000::::::\n");
        BerthException e = refused(file);
        assertTrue(e instanceof InvalidArgument, e.toString());
        assertEquals(file + " exists and is a regular file; Berth replaces only a socket left by an earlier run", e.getMessage());
        assertEquals("root:*:19000::::::\n", Files.readString(file), "the file is intact");
    }

    @Test
    void aFolderOrASymlinkIsRefusedToo() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("sock"));
        assertTrue(refused(folder).getMessage().contains("is a folder"));
        Path target = Files.writeString(dir.resolve("target"), "x");
        Path link = Files.createSymbolicLink(dir.resolve("link.sock"), target);
        assertTrue(refused(link).getMessage().contains("is a symlink"));
        assertTrue(Files.isSymbolicLink(link) && Files.readString(target).equals("x"));
    }

    @Test
    void aStaleSocketIsReplaced() throws Exception {
        Path socket = dir.resolve("berth.sock");
        try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(socket));
        }
        UnixSocketServer server = UnixSocketServer.start(vertx, socket, PosixFilePermissions.fromString("rw-------"), null,
                req -> req.response().end("{}"), 1,
                new HttpGuard(socket.toString(), HttpLimits.DEFAULT, (resp, status, e) -> resp.setStatusCode(status).end()));
        try (PluginClient c = PluginClient.connect(socket)) {
            assertEquals(200, c.call("/x", "{}").status());
        }
        server.close();
    }
}
