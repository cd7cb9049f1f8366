package dev.berth.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The training run of the JDK AOT cache (JEP 514), run by the build (app/pom.xml) under
 * {@code -XX:AOTCacheOutput}: what it loads and links is what later starts are spared. It runs, in
 * this JVM, the commands people type: version, help, usage errors, a missing socket, and volume
 * create, ls, inspect, rm against a real `berth serve` (dir driver, temporary folder) in a JVM of
 * its own. The daemon runs apart because every class in the cache is loaded at each start: a cache
 * that also held the daemon's classes made `berth version` slower, not faster (measured). Nothing
 * here may fail the build: a part that fails is reported and skipped (the cache then covers less).
 *
 * <p>Last it writes {@code args[0]}: the java.home and Runtime.version() of this JVM, which bin/berth
 * compares with the JDK it runs before it passes the cache to it.
 */
public final class AotTraining {
    private static final Duration READY = Duration.ofSeconds(60);

    private AotTraining() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1 && args.length != 2) {
            throw new IllegalArgumentException("usage: AotTraining RECORD_FILE [SERVE_CACHE]");
        }
        Path serveCache = args.length == 2 ? Path.of(args[1]) : null;
        Path dir = Files.createTempDirectory("berth-aot-training");
        try {
            cli("version");
            cli("--help");
            cli("volume", "--help");
            cli("volume", "ls", "--help");
            cli("volum");
            cli("volume", "ls", "--socket", dir.resolve("missing.sock").toString());
            againstServe(dir, serveCache);
        } finally {
            delete(dir);
        }
        Files.writeString(Path.of(args[0]), System.getProperty("java.home") + "\n" + Runtime.version() + "\n");
    }

    /**
     * With {@code serveCache}, the daemon's JVM makes a cache of its own (berth-serve.aot, which
     * bin/berth passes to `berth serve`): its start-up, the Docker socket, the REST API, the store.
     */
    private static void againstServe(Path dir, Path serveCache) {
        Process serve = null;
        try {
            Path config = Files.writeString(dir.resolve("config.yml"), """
                    node: aot
                    stateDir: %1$s/state
                    socket: %1$s/berth.sock
                    mountRoot: %1$s/volumes
                    volumes:
                      defaultService: scratch
                      defaultSize: 16M
                    docker:
                      enabled: %2$s
                      socket: %1$s/docker/berth.sock
                    services:
                      scratch:
                        driver: dir
                        options:
                          root: %1$s/dirs
                    """.formatted(dir, serveCache != null));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                    "--sun-misc-unsafe-memory-access=allow", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
            if (serveCache != null) {
                // bin/berth's flags for serve; the cache is written when this JVM exits (SIGTERM below).
                cmd.addAll(List.of("-Xms8m", "-Xmx1g", "-XX:AOTCacheOutput=" + serveCache, "-Xlog:aot=error", "-Xlog:cds=error"));
            }
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "--config", config.toString()));
            serve = new ProcessBuilder(cmd)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("serve.log").toFile()).start();
            serve.getOutputStream().close();
            awaitSocket(serve, dir.resolve("berth.sock"), dir.resolve("serve.log"));
            String c = config.toString();
            cli("volume", "create", "aot-1", "--config", c);
            cli("volume", "create", "aot-2", "--config", c, "-l", "team=build");
            for (int i = 0; i < 3; i++) {
                cli("volume", "ls", "--config", c);
                cli("volume", "inspect", "aot-1", "--config", c);
            }
            cli("volume", "ls", "-o", "json", "--config", c);
            cli("volume", "ls", "-q", "--config", c);
            cli("volume", "inspect", "no-such-volume", "--config", c);
            cli("service", "ls", "--config", c);
            cli("volume", "rm", "aot-1", "--config", c);
            cli("volume", "rm", "aot-2", "--config", c);
        } catch (Exception e) {
            System.err.println("AOT training: the part against `berth serve` failed, the cache covers less: " + e);
        } finally {
            if (serve != null) {
                stop(serve);
            }
        }
    }

    private static void awaitSocket(Process serve, Path socket, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + READY.toNanos();
        while (System.nanoTime() < deadline) {
            if (!serve.isAlive()) {
                throw new IOException("berth serve exited with " + serve.exitValue() + ": " + Files.readString(log));
            }
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(socket));
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IOException("berth serve did not listen on " + socket + " within " + READY.toSeconds() + " s");
    }

    private static void stop(Process serve) {
        serve.destroy();
        try {
            // A JVM making an AOT cache assembles it at exit (a few seconds on 2 cores).
            if (!serve.waitFor(120, TimeUnit.SECONDS)) {
                serve.destroyForcibly();
                serve.waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            serve.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
    private static void cli(String... args) {
        PrintWriter sink = new PrintWriter(Writer.nullWriter());
        try {
            Main.run(args, sink, sink);
        } catch (RuntimeException e) {
            System.err.println("AOT training: berth " + String.join(" ", args) + " failed: " + e);
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
