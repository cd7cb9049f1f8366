package dev.berth.bench;

import dev.berth.protocols.docker.PluginClient;
import dev.berth.protocols.docker.PluginClient.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/**
 * Docker plugin calls over the plugin socket, spoken like dockerd (PluginClient): Get, Path and
 * List with 100, 1,000 and 10,000 volumes, one client and 8 concurrent clients; the
 * first-Mount/last-Unmount cycle of a 1G volume against the raw tool sequence; and the
 * time-to-socket-ready. The daemon is a real {@code berth serve} process with bin/berth's JVM flags;
 * the clients run in this JVM. Baseline for the calls, measured in the same run on the same socket:
 * {@code /Plugin.Activate}, a constant reply, i.e. the transport alone.
 *
 * <p>Args: {@code [maxVolumes=10000] [cycles=10]}. Needs root (loop devices).
 */
public final class DockerBench {
    private static final int CONCURRENT = 8;
    private final Path dir;
    private final Path socket;
    private final Table table = new Table();
    private Stats activate1;
    private Stats activate8;

    private DockerBench(Path dir) {
        this.dir = dir;
        this.socket = dir.resolve("docker.sock");
    }

    public static void main(String[] args) throws Exception {
        int maxVolumes = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int cycles = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Path dir = Files.createTempDirectory(Path.of("/var/tmp"), "berth-dbench-");
        try {
            new DockerBench(dir).run(maxVolumes, cycles);
        } finally {
            deleteTree(dir);
        }
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

    private void run(int maxVolumes, int cycles) throws Exception {
        System.out.printf("cores: %d, JVM: %s; berth serve runs in its own JVM with bin/berth's flags %s%n",
                Runtime.getRuntime().availableProcessors(), Runtime.version(), BerthServe.LAUNCHER_FLAGS);
        startupRows(dir.resolve("startup"), "empty store", 7);

        Path cfg = writeConfig(dir, "bench");
        int have = 0;
        try (BerthServe serve = BerthServe.start(cfg, socket, dir.resolve("serve.log"))) {
            baseline();
            mountCycle(cycles);
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
            try (BerthServe serve = BerthServe.start(cfg, at.resolve("docker.sock"), at.resolve("serve.log"))) {
                ready[i] = serve.readyNanos();
            }
            version[i] = BerthServe.versionCommand();
        }
        table.row("time-to-socket-ready, " + what + ": `berth serve` start -> plugin socket accepts "
                + "(baseline: JVM start -> exit of `berth version`)", new Stats(ready), new Stats(version), "<< 30 s");
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

    /** First Mount (attach + mkfs + mount) and last Unmount (umount + detach) of fresh 1G volumes. */
    private void mountCycle(int cycles) throws Exception {
        RawLoop raw = new RawLoop(Files.createDirectories(dir.resolve("raw")));
        int warm = 2;
        long[] mount = new long[cycles];
        long[] unmount = new long[cycles];
        long[] rawMount = new long[cycles];
        long[] rawUnmount = new long[cycles];
        try (PluginClient c = PluginClient.connect(socket)) {
            for (int i = -warm; i < cycles; i++) {
                String name = "cycle-" + (i + warm);
                String id = String.format("%064x", i + warm);
                RawLoop.Cycle r = raw.firstMountAndUnmount(name, "1G");
                ok(c.call("/VolumeDriver.Create", "{\"Name\":\"" + name + "\",\"Opts\":{\"size\":\"1G\"}}"));
                long t0 = System.nanoTime();
                ok(c.call("/VolumeDriver.Mount", "{\"Name\":\"" + name + "\",\"ID\":\"" + id + "\"}"));
                long t1 = System.nanoTime();
                ok(c.call("/VolumeDriver.Unmount", "{\"Name\":\"" + name + "\",\"ID\":\"" + id + "\"}"));
                long t2 = System.nanoTime();
                ok(c.call("/VolumeDriver.Remove", "{\"Name\":\"" + name + "\"}"));
                if (i >= 0) {
                    mount[i] = t1 - t0;
                    unmount[i] = t2 - t1;
                    rawMount[i] = r.mount();
                    rawUnmount[i] = r.unmount();
                }
            }
        }
        table.row("first Mount of a 1G volume: attach + mkfs.ext4 + mount (baseline: truncate;losetup;mkfs.ext4;mount)",
                new Stats(mount), new Stats(rawMount), "-");
        table.row("last Unmount: umount + detach (baseline: umount;losetup -d)", new Stats(unmount), new Stats(rawUnmount),
                "-");
    }

    private static void ok(Reply r) {
        if (r.status() != 200) {
            throw new IllegalStateException("plugin call failed: " + r.status() + " " + r.body());
        }
    }

    private static String volume(int i) {
        return String.format("many-%05d", i);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
