package dev.berth.bench;

import dev.berth.core.controller.ControllerService;
import dev.berth.core.model.FsType;
import dev.berth.core.model.MountRefs;
import dev.berth.core.model.Node;
import dev.berth.core.node.NodeService;
import dev.berth.core.node.NodeSession;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.CombinedVolumes;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.MountLayout;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.VolumeDefaults;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StateStore;
import dev.berth.drivers.loop.LoopDriver;
import dev.berth.host.LinuxHostOps;
import dev.berth.store.embedded.SqliteStateStore;
import dev.berth.store.json.JsonCodec;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code bench/run steps [iterations=30]}: where the time of a mount goes inside Berth. The node
 * and controller services run in this JVM on the real host, store and codec, each wrapped so that
 * every call on the measuring thread is timed: host operations (processes, sysfs, mountinfo,
 * device reads), store calls (a txn is one fsync'd write) and JSON encode/decode. What is left of
 * an operation's time is Berth's own code. No HTTP: the plugin socket's share is the difference to
 * the first-mount and re-mount rows of {@code bench/run fast}. Needs root.
 */
public final class MountSteps {
    private static final Map<String, long[]> CALLS = new TreeMap<>(); // name -> {count, nanos}
    private static volatile Thread measured;

    private MountSteps() {
    }

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        Path dir = Files.createTempDirectory(Path.of("/var/tmp"), "berth-steps-");
        try {
            run(dir, iterations);
        } finally {
            Leftovers.clean(dir);
            try (var all = Files.walk(dir)) {
                for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static void run(Path dir, int iterations) throws Exception {
        HostOps host = timed(HostOps.class, new LinuxHostOps(), "host.");
        StateStore real = SqliteStateStore.open(dir.resolve("state"));
        StateStore store = timed(StateStore.class, real, "store.");
        Codec codec = timed(Codec.class, new JsonCodec(), "json.");
        ServiceRegistry services = new ServiceRegistry(Map.of("local", new LoopDriver(dir.resolve("pool"), 100, host)), "local");
        ControllerService controller = new ControllerService(store, codec, services,
                new VolumeDefaults(1L << 30, FsType.EXT4), Duration.ofSeconds(5), Clock.systemUTC());
        Map<String, List<Map<String, long[]>>> byOp = new LinkedHashMap<>();
        try (NodeSession session = new NodeSession(controller, new Node("bench", "localhost", "bench")).start()) {
            NodeService node = new NodeService(controller, "bench", services, host,
                    new MountLayout(dir.resolve("volumes"), "local"), Checkpoints.NONE);
            CombinedVolumes volumes = new CombinedVolumes(controller, node);
            for (int i = 0; i < 100; i++) {
                volumes.create(new CreateVolume(String.format("fill-%03d", i), null, "64M", null, null));
            }
            int warm = 5;
            for (int i = -warm; i < iterations; i++) {
                String name = "v" + (i + warm);
                VolumeRef ref = VolumeRef.of(name);
                String id = MountRefs.docker(String.format("%064x", i + warm));
                step(byOp, i >= 0, "create", () -> volumes.create(new CreateVolume(name, null, "1G", null, null)));
                step(byOp, i >= 0, "first mount", () -> volumes.mount(ref, id));
                step(byOp, i >= 0, "unmount", () -> volumes.unmount(ref, id));
                step(byOp, i >= 0, "re-mount", () -> volumes.mount(ref, id));
                step(byOp, i >= 0, "unmount", () -> volumes.unmount(ref, id));
                step(byOp, i >= 0, "remove", () -> volumes.remove(ref, false));
            }
        } finally {
            real.close();
        }
        print(byOp);
    }

    private static void step(Map<String, List<Map<String, long[]>>> byOp, boolean keep, String op, Runnable r) {
        synchronized (CALLS) {
            CALLS.clear();
        }
        measured = Thread.currentThread();
        long t0 = System.nanoTime();
        r.run();
        long took = System.nanoTime() - t0;
        measured = null;
        if (keep) {
            Map<String, long[]> copy = new TreeMap<>();
            synchronized (CALLS) {
                CALLS.forEach((k, v) -> copy.put(k, v.clone()));
            }
            copy.put("= total", new long[] {1, took});
            byOp.computeIfAbsent(op, k -> new ArrayList<>()).add(copy);
        }
    }

    /** Per operation: p50 and min of its total, of each kind of call (and how many), and of the rest. */
    private static void print(Map<String, List<Map<String, long[]>>> byOp) {
        System.out.println("| operation | part | calls | p50 ms | min ms |");
        System.out.println("|---|---|---|---|---|");
        byOp.forEach((op, runs) -> {
            java.util.Set<String> keys = new java.util.TreeSet<>();
            runs.forEach(m -> keys.addAll(m.keySet()));
            for (String k : keys) {
                long[] nanos = runs.stream().mapToLong(m -> m.getOrDefault(k, new long[2])[1]).toArray();
                double calls = runs.stream().mapToLong(m -> m.getOrDefault(k, new long[2])[0]).average().orElse(0);
                Stats s = new Stats(nanos);
                System.out.printf("| %s | %s | %.1f | %.2f | %.2f |%n", op, k, calls, s.p50(), s.min());
            }
            long[] rest = runs.stream().mapToLong(m -> m.get("= total")[1] - m.entrySet().stream()
                    .filter(e -> !e.getKey().startsWith("=")).mapToLong(e -> e.getValue()[1]).sum()).toArray();
            Stats s = new Stats(rest);
            System.out.printf("| %s | = Berth's own (total - calls) | - | %.2f | %.2f |%n", op, s.p50(), s.min());
        });
    }

    @SuppressWarnings("unchecked")
    private static <T> T timed(Class<T> type, T target, String prefix) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, a) -> {
            boolean mine = Thread.currentThread() == measured;
            long t0 = System.nanoTime();
            try {
                return m.invoke(target, a);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                if (mine) {
                    long took = System.nanoTime() - t0;
                    synchronized (CALLS) {
                        long[] c = CALLS.computeIfAbsent(prefix + m.getName(), k -> new long[2]);
                        c[0]++;
                        c[1] += took;
                    }
                }
            }
        });
    }
}
