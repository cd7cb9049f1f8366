package dev.berth.bench;

import dev.berth.protocols.docker.PluginClient;
import dev.berth.protocols.docker.PluginClient.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.BiFunction;

/**
 * Docker plugin calls over the plugin socket, spoken like dockerd (PluginClient): Get, Path and
 * List with 100, 1,000 and 10,000 volumes, one client and 8 concurrent clients, and the
 * time-to-socket-ready (the mount rows are in {@link FastBench}). The daemon is a real
 * {@code bin/berth serve} process;
 * the clients run in this JVM. Baseline for the calls, measured in the same run on the same socket:
 * {@code /Plugin.Activate}, a constant reply, i.e. the transport alone.
 *
 * <p>Args: {@code [maxVolumes=10000]}. Extra JVM flags for the daemon (e.g. JFR):
 * {@code BERTH_BENCH_SERVE_OPTS}. Needs root (loop devices).
 */
public final class DockerBench {
    private static final int CONCURRENT = 8;
    private final Path dir;
    private final Path socket;
    private final Table table = new Table();
    private final Launcher berth = Launcher.ofThisCheckout();
    private Stats activate1;
    private Stats activate8;

    private DockerBench(Path dir) {
        this.dir = dir;
        this.socket = dir.resolve("docker.sock");
    }

    public static void main(String[] args) throws Exception {
        int maxVolumes = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        Leftovers.inFreshFolder("berth-dbench-", dir -> {
            new DockerBench(dir).run(maxVolumes);
            return null;
        });
    }

    private Path writeConfig(Path at, String node) throws IOException {
        Files.createDirectories(at);
        Path file = at.resolve("config.yml");
        Files.writeString(file, """
                node: %2$s
                stateDir: %1$s/state
                socket: %1$s/berth.sock
                mountRoot: %1$s/volumes
                docker: {enabled: true, socket: %1$s/docker.sock}
                services:
                  local: {driver: loop, options: {pool: %1$s/pool}}
                """.formatted(at, node));
        return file;
    }

    private void run(int maxVolumes) throws Exception {
        System.out.printf("cores: %d, JVM: %s; the daemon is %s serve%n",
                Runtime.getRuntime().availableProcessors(), Runtime.version(), berth.berth());
        startupRows(dir.resolve("startup"), "empty store", 7);

        Path cfg = writeConfig(dir, "bench");
        int have = 0;
        try (Serve serve = start(cfg, socket, dir.resolve("serve.log"))) {
            baseline();
            try (PluginClient c = PluginClient.connect(socket)) {
                for (int n : new int[] {100, 1_000, 10_000}) {
                    if (n > maxVolumes) {
                        break;
                    }
                    long t0 = System.nanoTime();
                    for (; have < n; have++) {
                        ok(c.call("/VolumeDriver.Create", "{\"Name\":\"" + volume(have) + "\",\"Opts\":{\"size\":\"1G\"}}"));
                    }
                    System.out.printf("%,d volumes in the store (added in %.1f s)%n", n, (System.nanoTime() - t0) / 1e9);
                    calls(n);
                }
            }
        }
        // The same store, now with every volume in it, read by a fresh process.
        startupRows(dir, "store with " + String.format("%,d", have) + " volumes", 3);
        table.print();
    }

    private void startupRows(Path at, String what, int runs) throws Exception {
        Path cfg = at.resolve("config.yml");
        if (!Files.exists(cfg)) {
            cfg = writeConfig(at, "bench-start");
        }
        long[] ready = new long[runs];
        long[] version = new long[runs];
        for (int i = 0; i < runs; i++) {
            try (Serve serve = start(cfg, at.resolve("docker.sock"), at.resolve("serve.log"))) {
                ready[i] = serve.readyNanos();
            }
            version[i] = berth.timedRun(berth.berth("version")) * 1000;
        }
        table.row("time-to-socket-ready, " + what + ": `berth serve` start -> plugin socket accepts "
                + "(baseline: `berth version` wall, from bash)", new Stats(ready), new Stats(version), "<< 30 s");
    }

    private Serve start(Path cfg, Path dockerSocket, Path log) throws Exception {
        String opts = System.getenv("BERTH_BENCH_SERVE_OPTS");
        return Serve.start(berth, cfg, dockerSocket, log, opts == null ? "" : opts);
    }

    private void baseline() throws Exception {
        BiFunction<PluginClient, Random, Reply> activate = (c, r) -> c.call("/Plugin.Activate", null);
        ClientLoad.run(socket, 1, 20_000, activate); // JIT warm-up of server and client
        ClientLoad.Result one = ClientLoad.run(socket, 1, 5_000, activate);
        ClientLoad.Result many = ClientLoad.run(socket, CONCURRENT, 2_000, activate);
        activate1 = one.latency();
        activate8 = many.latency();
        table.row("baseline: /Plugin.Activate (transport only), 1 client", one.latency(), null, "-", one.opsPerSecond());
        table.row("baseline: /Plugin.Activate (transport only), " + CONCURRENT + " clients", many.latency(), null, "-",
                many.opsPerSecond());
    }

    private void calls(int n) throws Exception {
        BiFunction<PluginClient, Random, Reply> get = (c, r) -> c.call("/VolumeDriver.Get",
                "{\"Name\":\"" + volume(r.nextInt(n)) + "\"}");
        BiFunction<PluginClient, Random, Reply> path = (c, r) -> c.call("/VolumeDriver.Path",
                "{\"Name\":\"" + volume(r.nextInt(n)) + "\"}");
        BiFunction<PluginClient, Random, Reply> list = (c, r) -> c.call("/VolumeDriver.List", "{}");
        try (PluginClient c = PluginClient.connect(socket)) {
            int listed = c.call("/VolumeDriver.List", "{}").json().path("Volumes").size();
            if (listed != n) {
                throw new IllegalStateException("List returned " + listed + " volumes, expected " + n);
            }
        }
        String vols = String.format("%,d vols", n);
        measure("Get, " + vols, get, 5_000, 1_000, "p99 < 2 ms");
        measure("Path, " + vols, path, 5_000, 1_000, "p99 < 2 ms");
        int lists = n >= 10_000 ? 300 : n >= 1_000 ? 1_000 : 3_000;
        measure("List, " + vols, list, lists, Math.max(40, lists / CONCURRENT), n >= 10_000 ? "p99 < 50 ms" : "-");
    }

    private void measure(String what, BiFunction<PluginClient, Random, Reply> call, int ops, int opsPerClient,
                         String target) throws Exception {
        // Warm-up with both shapes of load: the daemon runs C1-compiled code, but its first calls
        // still load classes and fill caches.
        ClientLoad.run(socket, 1, Math.max(100, ops / 4), call);
        ClientLoad.run(socket, CONCURRENT, Math.max(10, opsPerClient / 4), call);
        ClientLoad.Result one = ClientLoad.run(socket, 1, ops, call);
        ClientLoad.Result many = ClientLoad.run(socket, CONCURRENT, opsPerClient, call);
        table.row(what + ", 1 client", one.latency(), activate1, target, one.opsPerSecond());
        table.row(what + ", " + CONCURRENT + " clients", many.latency(), activate8, target, many.opsPerSecond());
    }

    private static void ok(Reply r) {
        if (r.status() != 200) {
            throw new IllegalStateException("plugin call failed: " + r.status() + " " + r.body());
        }
    }

    private static String volume(int i) {
        return String.format("many-%05d", i);
    }

}
