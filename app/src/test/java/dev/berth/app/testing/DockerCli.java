package dev.berth.app.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real docker CLI for end-to-end tests: argument arrays (never a shell), a timeout on every
 * call, stdout and stderr captured through files so that a hung call can still be cut off.
 * Prefers the engine's own CLI (/usr/bin/docker from docker.io), whose API version matches dockerd.
 */
public final class DockerCli {
    private final String binary;

    public record Out(int code, String stdout, String stderr) {
        public boolean ok() {
            return code == 0;
        }

        @Override
        public String toString() {
            return "exit " + code + "\nstdout: " + stdout + "\nstderr: " + stderr;
        }
    }

    private DockerCli(String binary) {
        this.binary = binary;
    }

    /**
     * A CLI talking to a live dockerd. Without one the test is skipped, or fails under
     * {@code -Dberth.requireDocker=true} (.ci/run starts dockerd with e2e/docker/up.sh first).
     */
    public static DockerCli require() {
        DockerCli cli = find();
        String why = cli == null ? "no docker CLI on this machine" : cli.whyNotUsable();
        String hint = "needs a running dockerd: run e2e/docker/up.sh first (as root)";
        if (Boolean.getBoolean("berth.requireDocker")) {
            assertTrue(why == null, why + "; " + hint);
        } else {
            assumeTrue(why == null, why + "; " + hint);
        }
        return cli;
    }

    private static DockerCli find() {
        if (Files.isExecutable(Path.of("/usr/bin/docker"))) {
            return new DockerCli("/usr/bin/docker");
        }
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "docker"))) {
                return new DockerCli(Path.of(d, "docker").toString());
            }
        }
        return null;
    }

    private String whyNotUsable() {
        try {
            Out info = run(Duration.ofSeconds(30), "version", "--format", "{{.Server.Version}}");
            return info.ok() ? null : "docker version failed (" + info.stderr().strip() + ")";
        } catch (IllegalStateException e) {
            return "docker version did not answer: " + e.getMessage();
        }
    }

    public Out run(Duration timeout, String... args) {
        List<String> argv = new ArrayList<>(List.of(binary));
        argv.addAll(List.of(args));
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("docker-out", ".txt");
            err = Files.createTempFile("docker-err", ".txt");
            Process p = new ProcessBuilder(argv).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("timed out after " + timeout + ": " + argv + "\nstderr: "
                        + Files.readString(err, StandardCharsets.UTF_8));
            }
            return new Out(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + argv + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** Runs and fails the test with the CLI's own words unless it succeeded. */
    public String ok(Duration timeout, String... args) {
        Out o = run(timeout, args);
        assertTrue(o.ok(), "docker " + String.join(" ", args) + " failed: " + o);
        return o.stdout();
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a temp file left in /tmp is harmless
            }
        }
    }
}
