package dev.berth.protocols.docker;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.Unavailable;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine client where no engine answers; the real engine is DockerEngineIT's (app). */
class DockerEngineTest {
    @TempDir
    Path dir;

    @Test
    void noEngineIsUnavailable() {
        try (DockerEngine engine = new DockerEngine(dir.resolve("docker.sock"), Duration.ofSeconds(2))) {
            Unavailable e = assertThrows(Unavailable.class, () -> engine.killUsing(dir, null));
            assertTrue(e.getMessage().startsWith("the Docker engine at " + dir.resolve("docker.sock")
                    + " cannot be asked (GET /containers/json): "), e.getMessage());
            assertTrue(e.hint().contains("docker.engineSocket"), e.hint());
        }
    }

    /** An engine that accepts and never answers: the call's own deadline ends the wait. */
    @Test
    void aHungEngineIsUnavailableAtTheDeadline() throws Exception {
        Path socket = dir.resolve("hung.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try (SocketChannel held = server.accept()) {
                    Thread.sleep(Duration.ofMinutes(1));
                } catch (Exception ignored) {
                    // closed at the end of the test
                }
            });
            try (DockerEngine engine = new DockerEngine(socket, Duration.ofMillis(300))) {
                Unavailable e = assertThrows(Unavailable.class, () -> engine.killUsing(dir, null));
                assertTrue(e.getMessage().contains("cannot be asked"), e.getMessage());
            } finally {
                acceptor.interrupt();
            }
        }
    }
}
