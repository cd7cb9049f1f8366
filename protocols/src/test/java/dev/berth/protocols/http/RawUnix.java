package dev.berth.protocols.http;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A raw client connection to a unix socket, for bytes no HTTP client would send: unfinished
 * headers, trickled requests, HTTP/2 prefaces. Reads poll (unix channels have no read timeout).
 */
public final class RawUnix implements AutoCloseable {
    private final SocketChannel channel;
    private final StringBuilder received = new StringBuilder();
    private boolean closedByServer;

    private RawUnix(SocketChannel channel) {
        this.channel = channel;
    }

    public static RawUnix connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        ch.configureBlocking(false);
        return new RawUnix(ch);
    }

    public RawUnix send(String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
        while (b.hasRemaining()) {
            channel.write(b);
        }
        return this;
    }

    /** Reads what is there now; true once the server has closed the connection. */
    public boolean poll() {
        if (closedByServer) {
            return true;
        }
        ByteBuffer b = ByteBuffer.allocate(64 * 1024);
        try {
            int n;
            while ((n = channel.read(b)) > 0) {
                b.flip();
                received.append(StandardCharsets.ISO_8859_1.decode(b));
                b.clear();
            }
            if (n < 0) {
                closedByServer = true;
            }
        } catch (IOException reset) {
            closedByServer = true;
        }
        return closedByServer;
    }

    /** Waits until the server closed the connection; the time it took, or null if it stayed open. */
    public Duration awaitClosed(Duration max) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + max.toNanos();
        while (System.nanoTime() < deadline) {
            if (poll()) {
                return Duration.ofNanos(System.nanoTime() - start);
            }
            Thread.sleep(10);
        }
        return null;
    }

    /** Waits until {@code marker} arrived (or the connection closed, or max passed); all received so far. */
    public String awaitText(String marker, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline && !received.toString().contains(marker)) {
            if (poll() && !received.toString().contains(marker)) {
                break;
            }
            Thread.sleep(10);
        }
        return received.toString();
    }

    public String received() {
        poll();
        return received.toString();
    }

    /** Everything received, then forgets it (for the next reply on a kept-alive connection). */
    public String take() {
        poll();
        String s = received.toString();
        received.setLength(0);
        return s;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
