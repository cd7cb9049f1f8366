package dev.berth.app.testing;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real `berth serve` in its own JVM, for tests that stop or kill the daemon. */
public final class ServeProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private ServeProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    public static ServeProcess start(Path config, Path log, Map<String, String> env, String... extraArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), "dev.berth.app.Main", "serve", "--config", config.toString()));
        cmd.addAll(List.of(extraArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        return new ServeProcess(pb.start(), log);
    }

    /** Waits until the socket accepts connections (or the process died). */
    public ServeProcess awaitReady(Path socket, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("berth serve exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            if (Files.exists(socket)) {
                try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    ch.connect(UnixDomainSocketAddress.of(socket));
                    return this;
                } catch (IOException notYet) {
                    // keep polling
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("berth serve not ready after " + timeout + ":\n" + Files.readString(log));
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM and wait; returns the exit code. */
    public int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("berth serve ignored SIGTERM");
        }
        return process.exitValue();
    }

    public int awaitExit() throws InterruptedException, IOException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            // A thread dump says what kept it alive; the log says how far it got.
            if (Files.isExecutable(Path.of("/usr/bin/kill"))) {
                new ProcessBuilder("/usr/bin/kill", "-QUIT", Long.toString(process.pid())).start().waitFor();
                Thread.sleep(500);
            }
            process.destroyForcibly();
            throw new IllegalStateException("berth serve did not exit within 60 s:\n" + log());
        }
        return process.exitValue();
    }

    /**
     * Waits until the log contains {@code text}: the start notes are printed after the local socket
     * answers, so a test that reads them right after {@link #awaitReady} can miss them.
     */
    public String awaitLog(String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String now = log();
            if (now.contains(text)) {
                return now;
            }
            if (System.nanoTime() > deadline || !process.isAlive()) {
                throw new IllegalStateException("the log of berth serve has no '" + text + "':\n" + now);
            }
            Thread.sleep(50);
        }
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill9();
        }
    }
}
