package dev.berth.app.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The CLI in a JVM of its own, for what an in-process run cannot set: environment variables
 * (BERTH_CA, BERTH_TOKEN ...), a small heap, another user (a command prefix such as setpriv).
 */
public final class CliProcess {
    private CliProcess() {
    }

    public record Result(int code, String out, String err, long millis) {
        @Override
        public String toString() {
            return "exit " + code + " after " + millis + " ms\nstdout: " + out + "\nstderr: " + err;
        }
    }

    public static Result run(Map<String, String> env, String... args) {
        return run(List.of(), System.getProperty("java.class.path"), env, args);
    }

    /** {@code prefix} runs the JVM (e.g. setpriv ... --); {@code classpath} must be readable by that user. */
    public static Result run(List<String> prefix, String classpath, Map<String, String> env, String... args) {
        return run(prefix, List.of(), classpath, env, args);
    }

    /** {@code jvmFlags} go before the class name, e.g. -Djava.io.tmpdir=... */
    public static Result run(List<String> prefix, List<String> jvmFlags, String classpath, Map<String, String> env,
                             String... args) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(ProcessHandle.current().info().command().orElseThrow(), "-Xmx64m", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", classpath, "dev.berth.app.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("BERTH_"));
        pb.environment().putAll(env);
        long start = System.nanoTime();
        try {
            Path out = Files.createTempFile("berth-cli", ".out");
            Path err = Files.createTempFile("berth-cli", ".err");
            try {
                Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                p.getOutputStream().close();
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("the CLI did not exit: " + cmd);
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
