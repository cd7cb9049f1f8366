package dev.berth.store.etcd.testing;

import dev.berth.host.ProcessRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * N real {@code etcd} members as processes of this test, on free loopback ports, with their data in
 * a temp folder of their own; everything is killed and removed at {@link #close} (or by a JVM
 * shutdown hook if the test JVM dies first).
 *
 * <p>Each member gets a client port, a peer port and a plain-HTTP metrics port; the metrics port
 * serves {@code /health}, which is how readiness is checked even when the client port wants TLS.
 * Data dirs go to {@code /dev/shm} when it exists (tmpfs: etcd's fsync per commit costs nothing there,
 * which keeps the suites fast on a busy 2-core machine); {@link Options#baseDir} picks another place,
 * e.g. a real disk for a benchmark with fsync.
 *
 * <p>Use {@link #assumeInstalled()} first: tests skip without {@code /usr/bin/etcd} unless
 * {@code -Dberth.requireEtcd=true} (what {@code .ci/run} passes), where they fail.
 */
public final class EtcdCluster implements AutoCloseable {
    public static final Path ETCD = Path.of("/usr/bin/etcd");
    public static final Path ETCDCTL = Path.of("/usr/bin/etcdctl");
    private static final Duration START_PATIENCE = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    /**
     * How to start the members.
     *
     * @param baseDir where the cluster's temp folder goes (null: /dev/shm if present, else java.io.tmpdir)
     * @param tls     server certificate for the client ports (null: plain HTTP)
     * @param extraFlags more etcd flags for every member, e.g. {@code --max-txn-ops=64}
     */
    public record Options(Path baseDir, Tls tls, List<String> extraFlags) {
        public Options {
            extraFlags = List.copyOf(extraFlags);
        }

        public static Options defaults() {
            return new Options(null, null, List.of());
        }

        public Options withTls(Tls tls) {
            return new Options(baseDir, tls, extraFlags);
        }

        public Options withBaseDir(Path baseDir) {
            return new Options(baseDir, tls, extraFlags);
        }

        public Options withFlags(String... flags) {
            return new Options(baseDir, tls, Stream.concat(extraFlags.stream(), Stream.of(flags)).toList());
        }
    }

    /**
     * TLS on the client ports: the members' certificate (valid for 127.0.0.1) and, when
     * {@code clientCa} is set, client certificates signed by it are required.
     */
    public record Tls(Path serverCert, Path serverKey, Path clientCa) {
        public Tls {
            Objects.requireNonNull(serverCert, "serverCert");
            Objects.requireNonNull(serverKey, "serverKey");
        }
    }

    /** One member: its ports and its process (null while killed). */
    private static final class Member {
        final String name;
        final int clientPort;
        final int peerPort;
        final int metricsPort;
        final Path dataDir;
        final Path log;
        Process process;

        Member(String name, int clientPort, int peerPort, int metricsPort, Path dir) {
            this.name = name;
            this.clientPort = clientPort;
            this.peerPort = peerPort;
            this.metricsPort = metricsPort;
            this.dataDir = dir.resolve(name + ".etcd");
            this.log = dir.resolve(name + ".log");
        }
    }

    private final Path dir;
    private final Options options;
    private final List<Member> members;
    private final String token = "berth-test-" + UUID.randomUUID();
    private final Thread hook;
    private boolean closed;

    private EtcdCluster(Path dir, Options options, List<Member> members) {
        this.dir = dir;
        this.options = options;
        this.members = members;
        this.hook = new Thread(this::destroyAll, "etcd-cluster-cleanup " + dir);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Skips the calling test when etcd is not installed, or fails it under {@code -Dberth.requireEtcd=true}. */
    public static void assumeInstalled() {
        boolean installed = Files.isExecutable(ETCD) && Files.isExecutable(ETCDCTL);
        if (!installed && Boolean.getBoolean("berth.requireEtcd")) {
            Assertions.fail(ETCD + " or " + ETCDCTL + " is missing but -Dberth.requireEtcd=true: install etcd-server and etcd-client");
        }
        Assumptions.assumeTrue(installed, ETCD + " is not installed (apt-get install etcd-server etcd-client)");
    }

    public static EtcdCluster start(int size) {
        return start(size, Options.defaults());
    }

    /** Starts {@code size} members and waits until every one reports healthy. */
    public static EtcdCluster start(int size, Options options) {
        if (size < 1) {
            throw new IllegalArgumentException("a cluster needs at least one member");
        }
        assumeInstalled();
        // A free port found here can be taken by someone else before etcd binds it: try again with new ones.
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            EtcdCluster cluster = create(size, options);
            try {
                cluster.startAll();
                return cluster;
            } catch (IllegalStateException e) {
                cluster.close();
                last = e;
                if (!e.getMessage().contains("address already in use")) {
                    throw e;
                }
            }
        }
        throw last;
    }

    private static EtcdCluster create(int size, Options options) {
        try {
            Path base = options.baseDir() != null ? options.baseDir()
                    : Files.isDirectory(Path.of("/dev/shm")) && Files.isWritable(Path.of("/dev/shm")) ? Path.of("/dev/shm")
                    : Path.of(System.getProperty("java.io.tmpdir"));
            Path dir = Files.createTempDirectory(base, "berth-etcd-");
            List<Integer> ports = freePorts(3 * size);
            List<Member> members = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                members.add(new Member("m" + i, ports.get(3 * i), ports.get(3 * i + 1), ports.get(3 * i + 2), dir));
            }
            return new EtcdCluster(dir, options, List.copyOf(members));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void startAll() {
        for (Member m : members) {
            launch(m, "new");
        }
        awaitHealthy();
    }

    /** {@code etcd://127.0.0.1:p1,127.0.0.1:p2,…} ({@code etcds://} with TLS): what {@code berth serve --store} takes. */
    public String endpoints() {
        return (options.tls() == null ? "etcd://" : "etcds://")
                + members.stream().map(m -> "127.0.0.1:" + m.clientPort).collect(Collectors.joining(","));
    }

    /** The members' client URLs, {@code http://127.0.0.1:p} (https with TLS). */
    public List<String> clientUrls() {
        String scheme = options.tls() == null ? "http" : "https";
        return members.stream().map(m -> scheme + "://127.0.0.1:" + m.clientPort).toList();
    }

    public int size() {
        return members.size();
    }

    public int clientPort(int member) {
        return members.get(member).clientPort;
    }

    /** The cluster's temp folder (data dirs {@code m<i>.etcd}, logs {@code m<i>.log}). */
    public Path dir() {
        return dir;
    }

    public synchronized boolean isRunning(int member) {
        Process p = members.get(member).process;
        return p != null && p.isAlive();
    }

    /**
     * SIGKILL to one member; returns when it is gone. If it was the leader, requests in flight time
     * out and new ones wait for an election: call {@link #awaitHealthy} to wait for the survivors.
     */
    public synchronized void kill9(int member) {
        Member m = members.get(member);
        if (m.process != null) {
            m.process.destroyForcibly();
            try {
                m.process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            m.process = null;
        }
    }

    public void kill9All() {
        for (int i = 0; i < members.size(); i++) {
            kill9(i);
        }
    }

    /**
     * Starts a killed member again on its ports and data dir. Waits until every running member is
     * healthy when a majority runs; otherwise only until its client port accepts connections.
     */
    public void restart(int member) {
        Member m = members.get(member);
        synchronized (this) {
            if (m.process != null && m.process.isAlive()) {
                throw new IllegalStateException(m.name + " is running");
            }
            launch(m, "existing");
        }
        long running = members.stream().filter(x -> x.process != null).count();
        if (running * 2 > members.size()) {
            awaitHealthy();
        } else {
            awaitPort(m);
        }
    }

    /** Waits until every running member answers {@code /health} with true (it has a leader and serves reads). */
    public void awaitHealthy() {
        long deadline = System.nanoTime() + START_PATIENCE.toNanos();
        for (Member m : members) {
            if (m.process == null) {
                continue;
            }
            while (!healthy(m)) {
                if (!m.process.isAlive()) {
                    throw new IllegalStateException("etcd member " + m.name + " exited with " + m.process.exitValue()
                            + ":\n" + tail(m.log));
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("etcd member " + m.name + " not healthy after " + START_PATIENCE
                            + ":\n" + tail(m.log));
                }
                sleep(50);
            }
        }
    }

    /**
     * Runs {@code etcdctl} (API v3) against all members with {@code args}, e.g. {@code "compact", "42"};
     * TLS flags are added when the cluster uses TLS ({@code clientCert}/{@code clientKey} for
     * {@code --cert}/{@code --key} then, may be null). Returns stdout; a non-zero exit fails.
     */
    public String etcdctl(Path caCert, Path clientCert, Path clientKey, String... args) {
        List<String> argv = new ArrayList<>(List.of(ETCDCTL.toString(), "--endpoints=" + String.join(",", clientUrls()),
                "--dial-timeout=3s", "--command-timeout=10s"));
        if (caCert != null) {
            argv.add("--cacert=" + caCert);
        }
        if (clientCert != null) {
            argv.add("--cert=" + clientCert);
            argv.add("--key=" + clientKey);
        }
        argv.addAll(List.of(args));
        return new ProcessRunner().run(argv, Duration.ofSeconds(30)).stdout();
    }

    /** {@link #etcdctl(Path, Path, Path, String...)} without TLS. */
    public String etcdctl(String... args) {
        return etcdctl(null, null, null, args);
    }

    /** The last lines of a member's log, for failure messages. */
    public String log(int member) {
        return tail(members.get(member).log);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        destroyAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    private void destroyAll() {
        for (Member m : members) {
            Process p = m.process;
            if (p != null) {
                p.destroyForcibly();
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        deleteTree(dir);
    }

    private void launch(Member m, String state) {
        List<String> cmd = new ArrayList<>(List.of(ETCD.toString(),
                "--name", m.name,
                "--data-dir", m.dataDir.toString(),
                "--listen-peer-urls", "http://127.0.0.1:" + m.peerPort,
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + m.peerPort,
                "--listen-metrics-urls", "http://127.0.0.1:" + m.metricsPort,
                "--initial-cluster", members.stream().map(x -> x.name + "=http://127.0.0.1:" + x.peerPort).collect(Collectors.joining(",")),
                "--initial-cluster-state", state,
                "--initial-cluster-token", token,
                "--logger", "zap", "--log-outputs", "stderr"));
        String scheme = options.tls() == null ? "http" : "https";
        cmd.addAll(List.of("--listen-client-urls", scheme + "://127.0.0.1:" + m.clientPort,
                "--advertise-client-urls", scheme + "://127.0.0.1:" + m.clientPort));
        Tls tls = options.tls();
        if (tls != null) {
            cmd.addAll(List.of("--cert-file", tls.serverCert().toString(), "--key-file", tls.serverKey().toString()));
            if (tls.clientCa() != null) {
                cmd.addAll(List.of("--client-cert-auth", "--trusted-ca-file", tls.clientCa().toString()));
            }
        }
        cmd.addAll(options.extraFlags());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(m.log.toFile()));
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        try {
            m.process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + ETCD, e);
        }
    }

    private static boolean healthy(Member m) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.metricsPort + "/health"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().replace(" ", "").contains("\"health\":\"true\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void awaitPort(Member m) {
        long deadline = System.nanoTime() + START_PATIENCE.toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), m.clientPort), 500);
                return;
            } catch (IOException notYet) {
                if (!m.process.isAlive() || System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("etcd member " + m.name + " does not listen:\n" + tail(m.log));
                }
                sleep(50);
            }
        }
    }

    private static List<Integer> freePorts(int n) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                held.add(s);
                ports.add(s.getLocalPort());
            }
            return ports;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a temp folder
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
