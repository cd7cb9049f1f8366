package dev.berth.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code bin/berth serve} process, ready once its Docker plugin socket answers
 * {@code /Plugin.Activate} with 200 the way dockerd asks (blank Host header, plugin Accept type).
 */
final class Serve implements AutoCloseable {
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(120);
    private static final byte[] ACTIVATE = ("POST /Plugin.Activate HTTP/1.1\r\nHost: \r\nUser-Agent: Go-http-client/1.1\r\n"
            + "Accept: application/vnd.docker.plugins.v1.2+json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    private final Process process;
    private final long readyNanos;

    private Serve(Process process, long readyNanos) {
        this.process = process;
        this.readyNanos = readyNanos;
    }

    /** Starts {@code bin/berth serve --config config}; returns once {@code dockerSocket} answers Activate. */
    static Serve start(Launcher berth, Path config, Path dockerSocket, Path log, String javaOpts) throws Exception {
        return start(berth, config, log, javaOpts, () -> activated(dockerSocket), "answer Plugin.Activate");
    }

    /** Starts {@code bin/berth serve --config config}; returns once {@code ready} says so (polled every ms). */
    static Serve start(Launcher berth, Path config, Path log, String javaOpts, java.util.function.BooleanSupplier ready,
                       String readyText) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(berth.berth("serve", "--config", config.toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(berth.env(javaOpts));
        long t0 = System.nanoTime();
        Process p = pb.start();
        while (System.nanoTime() - t0 < TIMEOUT_NANOS) {
            if (ready.getAsBoolean()) {
                return new Serve(p, System.nanoTime() - t0);
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("berth serve exited with " + p.exitValue() + ":\n" + Proc.tail(log));
            }
            Thread.sleep(1);
        }
        p.destroyForcibly();
        throw new IllegalStateException("berth serve did not " + readyText + " within 120 s:\n" + Proc.tail(log));
    }

    /** Whether the socket answers Activate with 200 now. */
    static boolean activated(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(ACTIVATE));
            InputStream in = Channels.newInputStream(ch);
            byte[] head = in.readNBytes(12); // "HTTP/1.1 200"
            return new String(head, StandardCharsets.US_ASCII).endsWith(" 200");
        } catch (IOException notYet) {
            return false;
        }
    }

    /** Nanoseconds from the process start until Activate was answered. */
    long readyNanos() {
        return readyNanos;
    }

    /** The daemon's resident set now, in bytes (bin/berth execs java, so this is the JVM). */
    long rssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).replace("kB", "").strip()) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS for process " + process.pid());
    }

    /** SIGTERM, as an operator stops it, and wait for the exit (the next start needs the sockets). */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
