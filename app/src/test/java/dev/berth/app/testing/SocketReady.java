package dev.berth.app.testing;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How long after a moment (e.g. a process start) a unix socket first accepts a connection. Polls
 * every 2 ms, so the figure is exact to a few milliseconds (ServeProcess.awaitReady polls at 50).
 */
public final class SocketReady {
    private SocketReady() {
    }

    /** Elapsed time from {@code sinceNanos} (System.nanoTime) until {@code socket} accepts. */
    public static Duration await(Path socket, long sinceNanos, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(socket));
                return Duration.ofNanos(System.nanoTime() - sinceNanos);
            } catch (IOException notYet) {
                Thread.sleep(2);
            }
        }
        throw new IllegalStateException(socket + " did not accept connections within " + timeout);
    }
}
