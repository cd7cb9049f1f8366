package dev.berth.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Berth as users start it: {@code bin/berth} of this checkout (its JDK, its JVM flags, its jar), with
 * JAVA_HOME set to the benchmark's JDK and no BERTH_* variable of the caller's. Also runs
 * {@code bench/sh/timed.sh}, the bash clock of the CLI rows and the baselines.
 */
final class Launcher {
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private final Path home;
    private final Path javaHome;

    Launcher(Path home, Path javaHome) {
        if (!Files.isExecutable(home.resolve("bin/berth")) || !Files.isRegularFile(home.resolve("bench/sh/timed.sh"))) {
            throw new IllegalArgumentException(home + " is not a Berth checkout (no bin/berth or bench/sh/timed.sh)");
        }
        this.home = home;
        this.javaHome = javaHome;
    }

    /** The checkout named by -Dberth.bench.home (bench/run sets it), else the working directory; this JVM's JDK. */
    static Launcher ofThisCheckout() {
        String h = System.getProperty("berth.bench.home");
        Path home = (h == null ? Path.of("") : Path.of(h)).toAbsolutePath().normalize();
        if (h == null && !Files.exists(home.resolve("bin/berth")) && Files.exists(home.resolve("../bin/berth"))) {
            home = home.getParent(); // a test runs in the bench module's folder
        }
        return new Launcher(home, Path.of(System.getProperty("java.home")));
    }

    /** {@code bin/berth ARGS...}. */
    List<String> berth(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(home.resolve("bin/berth").toString());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The JDK's java, as bin/berth runs it, for the JVM-floor baseline. */
    List<String> java(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaHome.resolve("bin/java").toString());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The environment for a Berth process; {@code javaOpts} become BERTH_JAVA_OPTS (may be empty). */
    Map<String, String> env(String javaOpts) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.keySet().removeIf(k -> k.startsWith("BERTH_"));
        env.put("JAVA_HOME", javaHome.toString());
        if (!javaOpts.isBlank()) {
            env.put("BERTH_JAVA_OPTS", javaOpts.strip());
        }
        return env;
    }

    /** Runs {@code bin/berth ARGS...} to its end; returns its stdout. */
    String runBerth(String... args) throws IOException, InterruptedException {
        return Proc.run(berth(args), env(""), TIMEOUT);
    }

    /** {@code timed.sh ARGS...} in a fresh bash: the microseconds it printed, one per timed step. */
    long[] timed(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", home.resolve("bench/sh/timed.sh").toString()));
        cmd.addAll(args);
        String out = Proc.run(cmd, env(""), TIMEOUT).strip();
        String[] lines = out.split("\n");
        long[] micros = new long[lines.length];
        for (int i = 0; i < lines.length; i++) {
            micros[i] = Long.parseLong(lines[i].strip());
        }
        return micros;
    }

    /** The wall time in microseconds of one command started by bash. */
    long timedRun(List<String> command) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(command);
        long[] t = timed(args);
        if (t.length != 1) {
            throw new IllegalStateException("timed.sh run printed " + t.length + " numbers");
        }
        return t[0];
    }

    Path home() {
        return home;
    }
}
