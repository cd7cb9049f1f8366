package dev.berth.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.Csi;
import csi.v1.IdentityGrpc;
import dev.berth.core.error.Busy;
import dev.berth.core.error.InvalidArgument;
import dev.berth.csi.testing.IdentityStub;
import dev.berth.csi.testing.LogCapture;
import dev.berth.csi.testing.SocketDir;
import io.grpc.BindableService;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real unix sockets in a short folder under /tmp; no root needed. */
class CsiServerTest {
    private final SocketDir dir = new SocketDir();

    @AfterEach
    void cleanUp() {
        dir.close();
    }

    private static CsiServer serve(Path socket) {
        return CsiServer.start(new CsiEndpoint(socket), List.<BindableService>of(new IdentityStub()), List.of());
    }

    private static String pluginName(Path socket) {
        try (CsiChannel ch = CsiChannel.open(socket)) {
            return IdentityGrpc.newBlockingStub(ch.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getPluginInfo(Csi.GetPluginInfoRequest.getDefaultInstance()).getName();
        }
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void getPluginInfoRoundTripAndSocketMode0600() throws Exception {
        Path socket = dir.resolve("csi.sock");
        try (CsiServer _ = serve(socket)) {
            assertEquals(IdentityStub.NAME, pluginName(socket));
            assertEquals("rw-------", mode(socket));
            assertEquals(List.of(socket), Files.list(dir.path()).toList(), "nothing but the socket next to it");
        }
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "close removes the socket");
    }

    @Test
    void anyAuthorityIsAccepted() {
        // grpc-java's own unix: target sends the socket path as :authority (no overrideAuthority).
        Path socket = dir.resolve("csi.sock");
        try (CsiServer _ = serve(socket)) {
            ManagedChannel ch = Grpc.newChannelBuilder("unix://" + socket, InsecureChannelCredentials.create()).build();
            try {
                assertEquals(IdentityStub.NAME, IdentityGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .getPluginInfo(Csi.GetPluginInfoRequest.getDefaultInstance()).getName());
            } finally {
                ch.shutdownNow();
            }
        }
    }

    @Test
    void createsAMissingFolder0755() throws Exception {
        Path socket = dir.resolve("a/b/csi.sock");
        try (CsiServer _ = serve(socket)) {
            assertEquals("rwxr-xr-x", mode(dir.resolve("a")));
            assertEquals("rwxr-xr-x", mode(dir.resolve("a/b")));
            assertEquals(IdentityStub.NAME, pluginName(socket));
        }
    }

    @Test
    void staleSocketIsRemoved() throws Exception {
        Path socket = dir.resolve("csi.sock");
        // A socket file nobody listens on any more, as a killed process leaves it.
        ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        old.bind(UnixDomainSocketAddress.of(socket));
        old.close();
        assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        try (LogCapture logs = new LogCapture(Level.INFO); CsiServer _ = serve(socket)) {
            assertEquals(IdentityStub.NAME, pluginName(socket));
            assertTrue(logs.text().contains("removed the stale CSI socket"), logs.text());
        }
    }

    @Test
    void liveSocketIsRefused() {
        Path socket = dir.resolve("csi.sock");
        try (CsiServer _ = serve(socket)) {
            Busy e = assertThrows(Busy.class, () -> serve(socket));
            assertTrue(e.getMessage().contains("another process serves"), e.getMessage());
            assertEquals(IdentityStub.NAME, pluginName(socket), "the first server still answers");
        }
    }

    @Test
    void regularFileFolderAndSymlinkAreRefusedAndLeftInPlace() throws Exception {
        Path file = dir.resolve("file.sock");
        Files.writeString(file, "not a socket");
        assertThrows(InvalidArgument.class, () -> serve(file));
        assertEquals("not a socket", Files.readString(file));

        Path folder = dir.resolve("folder.sock");
        Files.createDirectory(folder);
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> serve(folder));
        assertTrue(e.getMessage().contains("a folder"), e.getMessage());
        assertTrue(Files.isDirectory(folder));

        // A symbolic link, even to a stale socket, is not followed nor removed.
        Path target = dir.resolve("target.sock");
        ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        old.bind(UnixDomainSocketAddress.of(target));
        old.close();
        Path link = dir.resolve("link.sock");
        Files.createSymbolicLink(link, target);
        assertThrows(InvalidArgument.class, () -> serve(link));
        assertTrue(Files.isSymbolicLink(link));
        assertTrue(Files.exists(target, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void closeLeavesASocketThatReplacedOurs() throws Exception {
        Path socket = dir.resolve("csi.sock");
        CsiServer server = serve(socket);
        // Another process removed ours and bound its own at the same path. (The filler takes the
        // freed inode number, which ext4 hands out again at once; FileKey also compares ctime.)
        Files.delete(socket);
        Files.writeString(dir.resolve("filler"), "x");
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(socket));
            server.close();
            assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "the other process's socket stays");
        }
    }

    @Test
    void closeTwiceIsHarmless() {
        Path socket = dir.resolve("csi.sock");
        CsiServer server = serve(socket);
        server.close();
        server.close();
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void noKeepAliveWarning() {
        Path socket = dir.resolve("csi.sock");
        try (LogCapture logs = new LogCapture(Level.WARNING); CsiServer _ = serve(socket)) {
            pluginName(socket);
            assertFalse(logs.text().contains("SO_KEEPALIVE"),
                    logs.records().stream().map(r -> r.getLoggerName() + ": " + r.getMessage()).toList().toString());
        }
    }
}
