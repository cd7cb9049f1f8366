package dev.berth.bench;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * An etcd cluster of real {@code etcd} processes for the HA benchmark: members on free loopback
 * ports, data dirs below the benchmark's folder, default settings (fsync on every commit, as in
 * production). The store test-jar's EtcdCluster does the same for tests, but the benchmark jar
 * carries no test classes (nor JUnit), so this is its own small launcher.
 */
final class EtcdMembers implements AutoCloseable {
    private static final Path ETCD = Path.of("/usr/bin/etcd");
    private final List<Process> members = new ArrayList<>();
    private final List<Integer> clientPorts = new ArrayList<>();

    private EtcdMembers() {
    }

    static boolean installed() {
        return Files.isExecutable(ETCD);
    }

    /** Starts {@code n} members below {@code dir} and waits until each answers /health with true. */
    static EtcdMembers start(Path dir, int n) throws Exception {
        if (!installed()) {
            throw new IllegalStateException(ETCD + " is not installed (Debian: apt-get install etcd-server)");
        }
        EtcdMembers m = new EtcdMembers();
        List<Integer> peerPorts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            m.clientPorts.add(freePort());
            peerPorts.add(freePort());
        }
        String initial = java.util.stream.IntStream.range(0, n)
                .mapToObj(i -> "m" + i + "=http://127.0.0.1:" + peerPorts.get(i)).collect(Collectors.joining(","));
        String token = "berth-bench-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try {
            for (int i = 0; i < n; i++) {
                Path data = Files.createDirectories(dir.resolve("m" + i));
                String client = "http://127.0.0.1:" + m.clientPorts.get(i);
                String peer = "http://127.0.0.1:" + peerPorts.get(i);
                ProcessBuilder pb = new ProcessBuilder(ETCD.toString(), "--name", "m" + i, "--data-dir", data.toString(),
                        "--listen-client-urls", client, "--advertise-client-urls", client,
                        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                        "--initial-cluster", initial, "--initial-cluster-token", token, "--initial-cluster-state", "new")
                        .redirectErrorStream(true).redirectOutput(dir.resolve("m" + i + ".log").toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                m.members.add(pb.start());
            }
            m.awaitHealthy(dir, Duration.ofSeconds(60));
            return m;
        } catch (Exception e) {
            m.close();
            throw e;
        }
    }

    /** {@code etcd://127.0.0.1:P1,127.0.0.1:P2,…}, what {@code berth serve --store} takes. */
    String storeUrl() {
        return "etcd://" + clientPorts.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    int size() {
        return members.size();
    }

    private void awaitHealthy(Path dir, Duration timeout) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int i = 0; i < members.size(); i++) {
            URI health = URI.create("http://127.0.0.1:" + clientPorts.get(i) + "/health");
            while (true) {
                if (!members.get(i).isAlive()) {
                    throw new IllegalStateException("etcd member m" + i + " exited: " + Proc.tail(dir.resolve("m" + i + ".log")));
                }
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200 && r.body().contains("\"health\":\"true\"")) {
                        break;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("etcd member m" + i + " not healthy after " + timeout + ": "
                            + Proc.tail(dir.resolve("m" + i + ".log")));
                }
                Thread.sleep(50);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Kills every member (the data dirs go with the benchmark's folder). */
    @Override
    public void close() throws InterruptedException {
        for (Process p : members) {
            p.destroyForcibly();
        }
        for (Process p : members) {
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
