package dev.berth.protocols.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.Unavailable;
import dev.berth.core.error.BerthException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A server that cannot be reached is described in words, never as "null" or an errno. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RestClientUnreachableTest {
    @TempDir
    Path dir;

    private static BerthException fail(RestClient c) {
        try (c) {
            return assertThrows(BerthException.class, () -> c.call(RestClient.Method.GET, "/v1/volumes", null));
        }
    }

    @Test
    void aMissingSocketSaysSo() {
        Path socket = dir.resolve("run/berth.sock");
        BerthException e = fail(RestClient.unix(socket));
        assertEquals("cannot reach Berth at " + socket + ": no such socket", e.getMessage()); // was ": null"
        assertTrue(e.hint().startsWith("is `berth serve` running? It creates " + socket), e.hint());
        assertTrue(e instanceof Unavailable, "unreachable is unavailable: 503, exit 7");
    }

    @Test
    void aSocketNobodyListensOnIsRefused() throws Exception {
        Path socket = dir.resolve("berth.sock");
        try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(socket));
        } // closed: the file stays, as after a daemon killed with -9
        assertTrue(Files.exists(socket));
        BerthException e = fail(RestClient.unix(socket));
        assertEquals("cannot reach Berth at " + socket + ": nothing listens on it (connection refused)", e.getMessage());
        assertTrue(e.hint().contains("start `berth serve`"), e.hint());
    }

    @Test
    void aFileThatIsNoSocket() throws Exception {
        Path file = Files.writeString(dir.resolve("berth.sock"), "");
        assertEquals("cannot reach Berth at " + file + ": it is a regular file, not a socket", fail(RestClient.unix(file)).getMessage());
        assertEquals("cannot reach Berth at " + dir + ": it is a folder, not a socket", fail(RestClient.unix(dir)).getMessage());
    }

    @Test
    void aTcpPortNobodyListensOn() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        URI uri = URI.create("http://127.0.0.1:" + port);
        BerthException e = fail(RestClient.tcp(uri, null, null));
        assertEquals("cannot reach Berth at " + uri + ": connection refused (nothing listens on that port)", e.getMessage());
        assertFalse(e.getMessage().contains("error(-111)"), e.getMessage());
        assertTrue(e instanceof Unavailable, e.getClass().getName());
    }
}
