package dev.berth.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The processes the benchmark starts: argument arrays (never a shell string), a timeout, and the
 * command and its stderr in the error. Unlike host's ProcessRunner it passes an environment
 * (JAVA_HOME, BERTH_JAVA_OPTS), which bin/berth needs.
 */
final class Proc {
    private Proc() {
    }

    /** Runs {@code argv} to its end; returns its stdout; any exit code but 0 is an error. */
    static String run(List<String> argv, Map<String, String> env, Duration timeout) throws IOException, InterruptedException {
        File out = File.createTempFile("berth-bench-", ".out");
        File err = File.createTempFile("berth-bench-", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out).redirectError(err);
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException(String.join(" ", argv) + " did not finish within " + timeout);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " exited with " + p.exitValue() + ": "
                        + tail(Files.readString(err.toPath(), StandardCharsets.UTF_8)));
            }
            return Files.readString(out.toPath(), StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(out.toPath());
            Files.deleteIfExists(err.toPath());
        }
    }

    static String tail(String text) {
        return text.length() <= 2000 ? text.strip() : "..." + text.substring(text.length() - 2000).strip();
    }

    static String tail(Path file) {
        try {
            return tail(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }
}
