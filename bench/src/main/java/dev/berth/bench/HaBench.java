package dev.berth.bench;

import dev.berth.protocols.rest.RestClient;
import dev.berth.protocols.rest.RestClient.Method;
import dev.berth.protocols.rest.security.TlsMaterial;
import dev.berth.protocols.rest.security.TokenIssuer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench/run ha [n=1000]}: what a store in etcd costs. Three deployments run side by side,
 * identical but for the controller's store: the embedded SQLite store (the baseline), etcd with 1
 * member, etcd with 3 members (etcd's defaults: every commit fsync'd). Each is a real
 * {@code bin/berth serve --role controller} and one {@code --role agent} on its own folders and
 * ports; the client is a warm REST client in this JVM on the agent's local socket, as a user's
 * {@code berth volume …} on a container host would call it (administration goes on to the
 * controller, host work happens on the agent and claims it at the controller).
 *
 * <p>The n volumes are of the {@code dir} driver, so a mount is a claim, a bind mount and the
 * store writes around them: the store's share is what shows, not mkfs. A smaller set of
 * {@code loop} volumes (default 100; 64 MiB ext4, first mount = attach + mkfs + mount) shows the
 * same on the real block path, where mkfs dominates. Every operation is interleaved over the
 * three deployments (volume i on A, B, C, the first of them rotating), so load drifts hit all
 * three alike.
 *
 * <p>Args: {@code [n=1000] [--loop N=100] [--ls N=50] [--warm N=20]}. Needs root and /usr/bin/etcd.
 */
public final class HaBench {
    static final List<String> STORES = List.of("embedded", "etcd 1 member", "etcd 3 members");
    /** etcd members per deployment, in the order of {@link #STORES} (0: the embedded store). */
    private static final int[] MEMBERS = {0, 1, 3};
    /** The row keys (operation names), in table order; the smoke test checks each is there. */
    static final List<String> OPS = List.of("create", "mount", "unmount", "inspect", "ls", "rm", "create (loop)",
            "mount (loop)", "unmount (loop)");
    private static final String REF = "bench";

    record Options(int volumes, int loops, int lists, int warm) {
        Options {
            if (volumes < 1 || loops < 1 || lists < 1 || warm < 0) {
                throw new IllegalArgumentException("counts must be at least 1, warm-up at least 0");
            }
        }

        static Options parse(String[] args) {
            int volumes = 1000;
            int loops = 100;
            int lists = 50;
            int warm = 20;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--loop" -> loops = Integer.parseInt(args[++i]);
                    case "--ls" -> lists = Integer.parseInt(args[++i]);
                    case "--warm" -> warm = Integer.parseInt(args[++i]);
                    default -> volumes = Integer.parseInt(args[i]);
                }
            }
            return new Options(volumes, loops, lists, warm);
        }
    }

    /** One deployment: its etcd (none for the embedded store), controller, agent and client. */
    private static final class Deployment implements AutoCloseable {
        final String name;
        final Path dir;
        EtcdMembers etcd;
        Serve controller;
        Serve agent;
        RestClient client;

        Deployment(String name, Path dir) {
            this.name = name;
            this.dir = dir;
        }

        @Override
        public void close() throws Exception {
            if (client != null) {
                client.close();
            }
            if (agent != null) {
                agent.close();
            }
            if (controller != null) {
                controller.close();
            }
            if (etcd != null) {
                etcd.close();
            }
        }
    }

    /** The measured samples (nanoseconds) per operation, per deployment. */
    record Result(Map<String, Map<String, long[]>> samples, int busyUnmounts) {
        Stats stats(String op, String store) {
            return new Stats(samples.get(op).get(store));
        }

        /** The table in Markdown: per operation and store p50 and p99, and the p50 against the embedded store's. */
        String render() {
            StringBuilder out = new StringBuilder("| operation | store | n | p50 ms | p99 ms | p50 vs embedded | p99 vs embedded |\n");
            out.append("|---|---|---|---|---|---|---|\n");
            for (String op : OPS) {
                Stats base = stats(op, STORES.getFirst());
                for (String store : STORES) {
                    Stats s = stats(op, store);
                    boolean baseline = store.equals(STORES.getFirst());
                    out.append(String.format("| %s | %s | %d | %.2f | %.2f | %s | %s |%n", op, store, s.n(), s.p50(), s.p99(),
                            baseline ? "baseline" : String.format("%.2fx", s.p50() / base.p50()),
                            baseline ? "baseline" : String.format("%.2fx", s.p99() / base.p99())));
                }
            }
            return out.toString();
        }
    }

    private final Options opt;
    private final Launcher berth;
    private final Path dir;
    private final List<Deployment> deployments = new ArrayList<>();
    private final Map<String, Map<String, long[]>> samples = new LinkedHashMap<>();
    private int busy;

    private HaBench(Options opt, Launcher berth, Path dir) {
        this.opt = opt;
        this.berth = berth;
        this.dir = dir;
    }

    public static void main(String[] args) throws Exception {
        Options opt = Options.parse(args);
        Result r = run(opt, Launcher.ofThisCheckout());
        System.out.printf("%d dir volumes (%d loop volumes), controller + agent per store, REST on the agent's socket; "
                + "baseline: the embedded store%s%n", opt.volumes(), opt.loops(), r.busyUnmounts() == 0 ? ""
                : "; " + r.busyUnmounts() + " loop unmount(s) dropped: the device was held by another mount namespace");
        System.out.print(r.render());
    }

    /** Runs the whole benchmark in a fresh folder below /var/tmp, removed afterwards. */
    static Result run(Options opt, Launcher berth) throws Exception {
        return Leftovers.inFreshFolder("berth-ha-", dir -> new HaBench(opt, berth, dir).run());
    }

    private Result run() throws Exception {
        System.err.printf("bench: ha, %d dir + %d loop volumes, %d cores, JDK %s, load %s%n", opt.volumes(), opt.loops(),
                Runtime.getRuntime().availableProcessors(), Runtime.version(), Files.readString(Path.of("/proc/loadavg")).strip());
        try {
            for (int i = 0; i < STORES.size(); i++) {
                deployments.add(start(STORES.get(i), Files.createDirectories(dir.resolve("d" + i)), MEMBERS[i]));
            }
            warmUp();
            phase("create", opt.volumes(), (d, i) -> expect(d, 201, Method.POST, "/v1/volumes",
                    Map.of("name", dirVolume(i), "service", "scratch")));
            phase("mount", opt.volumes(), (d, i) -> expect(d, 200, Method.POST, "/v1/volumes/" + dirVolume(i) + "/mount",
                    Map.of("ref", REF)));
            phase("inspect", opt.volumes(), (d, i) -> expect(d, 200, Method.GET, "/v1/volumes/" + dirVolume(i), null));
            phase("ls", opt.lists(), (d, i) -> {
                RestClient.Response r = expect(d, 200, Method.GET, "/v1/volumes", null);
                if (i == 0 && count(r.body()) < opt.volumes()) {
                    throw new IllegalStateException(d.name + ": ls listed fewer than " + opt.volumes() + " volumes");
                }
                return r;
            });
            phase("unmount", opt.volumes(), (d, i) -> expect(d, 204, Method.POST, "/v1/volumes/" + dirVolume(i) + "/unmount",
                    Map.of("ref", REF)));
            phase("rm", opt.volumes(), (d, i) -> expect(d, 204, Method.DELETE, "/v1/volumes/" + dirVolume(i), null));
            phase("create (loop)", opt.loops(), (d, i) -> expect(d, 201, Method.POST, "/v1/volumes",
                    Map.of("name", loopVolume(i), "service", "local", "size", "64M")));
            phase("mount (loop)", opt.loops(), (d, i) -> expect(d, 200, Method.POST, "/v1/volumes/" + loopVolume(i) + "/mount",
                    Map.of("ref", REF)));
            phase("unmount (loop)", opt.loops(), (d, i) -> {
                RestClient.Response r = d.client.call(Method.POST, "/v1/volumes/" + loopVolume(i) + "/unmount",
                        Map.of("ref", REF));
                if (r.status() == 409 && r.body().contains("\"busy\"")) {
                    // On a shared machine a process that made a mount namespace of its own while this
                    // volume was mounted keeps a copy of the mount, so the loop device stays in use:
                    // Berth rightly refuses to detach it. Not a measurement; counted and reported.
                    busy++;
                    System.err.println("bench: " + d.name + ": " + loopVolume(i) + " unmounted but its loop device is held "
                            + "elsewhere (sample dropped): " + Proc.tail(r.body()));
                    return null;
                }
                return expectStatus(d, r, 204, "POST /v1/volumes/" + loopVolume(i) + "/unmount");
            });
            for (Deployment d : deployments) {
                for (int i = 0; i < opt.loops(); i++) {
                    try {
                        expect(d, 204, Method.DELETE, "/v1/volumes/" + loopVolume(i) + "?force=true", null);
                    } catch (RuntimeException e) { // not measured: the folder's clean-up takes what is left
                        System.err.println("bench: " + e.getMessage());
                    }
                }
            }
            return new Result(samples, busy);
        } finally {
            for (Deployment d : deployments) {
                d.close();
            }
        }
    }

    // ---- the deployments ------------------------------------------------------------------

    private Deployment start(String name, Path at, int members) throws Exception {
        Deployment d = new Deployment(name, at);
        try {
            String store = "";
            if (members > 0) {
                d.etcd = EtcdMembers.start(Files.createDirectories(at.resolve("etcd")), members);
                store = "store: " + d.etcd.storeUrl() + "\n";
            }
            int port = freePort();
            Path ctl = Files.createDirectories(at.resolve("ctl"));
            Files.writeString(ctl.resolve("config.yml"), """
                    role: controller
                    node: ctl
                    stateDir: %1$s/state
                    socket: %1$s/berth.sock
                    api: {listen: "127.0.0.1:%2$d"}
                    docker: {enabled: false}
                    %3$s""".formatted(ctl, port, store) + services(at));
            Path ctlSocket = ctl.resolve("berth.sock");
            d.controller = Serve.start(berth, ctl.resolve("config.yml"), ctl.resolve("serve.log"), "",
                    () -> healthy(ctlSocket), "answer GET /v1/health on its socket");
            Path agent = Files.createDirectories(at.resolve("agent"));
            Path token = agent.resolve("token");
            Files.createFile(token, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(token, TokenIssuer.issueHs256(ctl.resolve("state/auth/hs256.key"), "node-bench", "bench",
                    Duration.ofDays(1), Map.of()));
            Path tls = ctl.resolve("state/tls");
            String fingerprint = TlsMaterial.load(tls.resolve(TlsMaterial.CERT_NAME), tls.resolve(TlsMaterial.KEY_NAME))
                    .fingerprint();
            Files.writeString(agent.resolve("config.yml"), """
                    role: agent
                    node: bench
                    stateDir: %1$s/state
                    socket: %1$s/berth.sock
                    mountRoot: %1$s/volumes
                    knownHosts: %1$s/known_hosts
                    controller: {url: "https://127.0.0.1:%2$d", tokenFile: %1$s/token, fingerprint: "%3$s"}
                    docker: {enabled: true, socket: %1$s/docker.sock}
                    """.formatted(agent, port, fingerprint) + services(at));
            Path agentSocket = agent.resolve("berth.sock");
            Path dockerSocket = agent.resolve("docker.sock");
            d.agent = Serve.start(berth, agent.resolve("config.yml"), agent.resolve("serve.log"), "",
                    () -> Serve.activated(dockerSocket) && healthy(agentSocket), "answer on its sockets");
            d.client = RestClient.unix(agent.resolve("berth.sock"));
            System.err.printf("bench: %s up (%s)%n", name, members == 0 ? "SQLite in " + ctl.resolve("state") : store.strip());
            return d;
        } catch (Exception e) {
            d.close();
            throw e;
        }
    }

    private static String services(Path at) {
        return """
                services:
                  local: {driver: loop, options: {pool: %1$s/pool, overcommit: 100}}
                  scratch: {driver: dir, options: {root: %1$s/dirs}}
                """.formatted(at);
    }

    private static boolean healthy(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (RestClient c = RestClient.unix(socket)) {
            return c.call(Method.GET, "/v1/health", null).status() == 200;
        } catch (RuntimeException notYet) {
            return false;
        }
    }

    // ---- measuring ------------------------------------------------------------------------

    interface Op {
        RestClient.Response call(Deployment d, int i) throws Exception;
    }

    /** Unmeasured: every kind of call a few times per deployment (class loading, JIT, connections). */
    private void warmUp() throws Exception {
        for (Deployment d : deployments) {
            for (int i = 0; i < opt.warm(); i++) {
                String name = "warm-" + i;
                expect(d, 201, Method.POST, "/v1/volumes", Map.of("name", name, "service", "scratch"));
                expect(d, 200, Method.POST, "/v1/volumes/" + name + "/mount", Map.of("ref", REF));
                expect(d, 200, Method.GET, "/v1/volumes/" + name, null);
                expect(d, 200, Method.GET, "/v1/volumes", null);
                expect(d, 204, Method.POST, "/v1/volumes/" + name + "/unmount", Map.of("ref", REF));
                expect(d, 204, Method.DELETE, "/v1/volumes/" + name, null);
            }
        }
    }

    /** {@code n} rounds; in round i, call i on every deployment, starting with deployment i mod 3. */
    private void phase(String op, int n, Op call) throws Exception {
        System.err.printf("bench: %tT %s x %d%n", System.currentTimeMillis(), op, n);
        Map<String, List<Long>> byStore = new LinkedHashMap<>();
        for (Deployment d : deployments) {
            byStore.put(d.name, new ArrayList<>());
        }
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < deployments.size(); k++) {
                Deployment d = deployments.get((i + k) % deployments.size());
                long t0 = System.nanoTime();
                RestClient.Response r = call.call(d, i);
                long took = System.nanoTime() - t0;
                if (r != null) { // null: no measurement (see the loop unmount)
                    byStore.get(d.name).add(took);
                }
            }
        }
        Map<String, long[]> out = new LinkedHashMap<>();
        byStore.forEach((store, list) -> out.put(store, list.stream().mapToLong(Long::longValue).toArray()));
        samples.put(op, out);
    }

    private static RestClient.Response expect(Deployment d, int status, Method method, String uri, Object body) {
        return expectStatus(d, d.client.call(method, uri, body), status, method + " " + uri);
    }

    private static RestClient.Response expectStatus(Deployment d, RestClient.Response r, int status, String call) {
        if (r.status() != status) {
            throw new IllegalStateException(d.name + ": " + call + " answered " + r.status() + " (expected "
                    + status + "): " + Proc.tail(r.body()));
        }
        return r;
    }

    private static int count(String jsonArray) {
        try {
            return dev.berth.protocols.http.Json.MAPPER.readTree(jsonArray).size();
        } catch (IOException e) {
            throw new IllegalStateException("unreadable volume list: " + Proc.tail(jsonArray), e);
        }
    }

    private static String dirVolume(int i) {
        return String.format("ha-%05d", i);
    }

    private static String loopVolume(int i) {
        return String.format("ha-loop-%04d", i);
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

}
