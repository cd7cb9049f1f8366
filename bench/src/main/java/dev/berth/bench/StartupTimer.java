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
 * Time-to-socket-ready of a real {@code berth serve} process: from the process start to the Docker
 * plugin socket accepting a connection (what dockerd's ~30 s plugin lookup waits for). Started
 * with the JVM flags bin/berth uses.
 */
final class StartupTimer {
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);

    private StartupTimer() {
    }

    /** Nanoseconds from start until {@code socket} accepts; the process is stopped (SIGTERM) after. */
    static long serveUntilReady(Path config, Path socket, Path log) throws Exception {
        long t0 = System.nanoTime();
        Process p = java("serve", "--config", config.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        try {
            while (System.nanoTime() - t0 < TIMEOUT_NANOS) {
                try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    ch.connect(UnixDomainSocketAddress.of(socket));
                    return System.nanoTime() - t0;
                } catch (IOException notYet) {
                    if (!p.isAlive()) {
                        throw new IllegalStateException("berth serve exited with " + p.exitValue() + ":\n" + Files.readString(log));
                    }
                    Thread.sleep(1);
                }
            }
            throw new IllegalStateException("socket not ready after 60 s:\n" + Files.readString(log));
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Baseline: the same JVM and jar running {@code berth version}, start to exit. */
    static long versionCommand() throws Exception {
        long t0 = System.nanoTime();
        Process p = java("version").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("berth version did not exit");
        }
        return System.nanoTime() - t0;
    }

    private static ProcessBuilder java(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "dev.berth.app.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }
}
