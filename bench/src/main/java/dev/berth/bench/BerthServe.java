package dev.berth.bench;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code berth serve} process started with the JVM flags bin/berth uses, so that the
 * benchmark measures the daemon users run (bin/berth serve: serial GC, C1 only), not one sharing the benchmark's JVM.
 * Also times how long after its start the Docker plugin socket accepts a connection.
 */
final class BerthServe implements AutoCloseable {
    /** bin/berth's flags. */
    static final List<String> LAUNCHER_FLAGS = List.of("--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);
    private final Process process;
    private final long readyNanos;

    private BerthServe(Process process, long readyNanos) {
        this.process = process;
        this.readyNanos = readyNanos;
    }

    /** Starts {@code berth serve --config config} and returns once {@code socket} accepts. */
    static BerthServe start(Path config, Path socket, Path log) throws Exception {
        long t0 = System.nanoTime();
        Process p = java("serve", "--config", config.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        while (System.nanoTime() - t0 < TIMEOUT_NANOS) {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(socket));
                return new BerthServe(p, System.nanoTime() - t0);
            } catch (IOException notYet) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("berth serve exited with " + p.exitValue() + ":\n" + Files.readString(log));
                }
                Thread.sleep(1);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("socket not ready after 60 s:\n" + Files.readString(log));
    }

    /** Nanoseconds from the process start until the socket accepted a connection. */
    long readyNanos() {
        return readyNanos;
    }

    /** Baseline of start-up: the same JVM, flags and jar running {@code berth version}, start to exit. */
    static long versionCommand() throws Exception {
        long t0 = System.nanoTime();
        Process p = java("version").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("berth version did not exit");
        }
        return System.nanoTime() - t0;
    }

    /** SIGTERM, as an operator stops it. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static ProcessBuilder java(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(LAUNCHER_FLAGS);
        // For profiling the daemon, e.g. BERTH_BENCH_SERVE_OPTS=-XX:StartFlightRecording=filename=serve.jfr
        String extra = System.getenv("BERTH_BENCH_SERVE_OPTS");
        if (extra != null && !extra.isBlank()) {
            cmd.addAll(List.of(extra.strip().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.berth.app.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }
}
