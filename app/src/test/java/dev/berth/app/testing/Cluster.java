package dev.berth.app.testing;

import dev.berth.protocols.rest.RestClient;
import dev.berth.protocols.rest.security.ClientTrust;
import dev.berth.protocols.rest.security.TlsMaterial;
import dev.berth.protocols.rest.security.TokenIssuer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Controllers and agents as separate `berth serve` processes on this machine: loopback TCP,
 * TLS and tokens on, each with its own socket, state and mount root, all sharing one loop pool
 * (the "SAN"). Services: {@code local} (loop; subjects admin and agent-*) and {@code scratch}
 * (dir; admin only). As in the README's "Several hosts": each agent has a node token (node id
 * {@code N}, subject {@code agent-N}) in a file of mode 0600, given as controller.tokenFile.
 *
 * <p>With several controllers (README "High availability state") they share one store (an etcd
 * URL) and one identity: controller 1 makes the HS256 key and the TLS certificate in its state
 * folder at its first start, as a lone controller does, and every other controller is configured
 * with those same files ({@code auth.key}, {@code api.cert}, {@code api.key}), so one token and one
 * pinned fingerprint work against all of them. Agents get every controller URL in controller.url.
 */
public final class Cluster implements AutoCloseable {
    public final Path dir;
    /** The first controller's port (the only one unless several were asked for). */
    public final int port;
    /** The first controller, as started last by {@link #startController()}. */
    public ServeProcess controller;
    private final List<Integer> ports = new ArrayList<>();
    private final ServeProcess[] controllers;
    private final String store;
    private final String leaseTtl;
    private final String taskWait;

    /** One controller on the embedded store (lease 3 s). */
    public Cluster(Path dir) throws IOException {
        this(dir, 1, null, "3s", "30s");
    }

    /**
     * @param controllers how many controllers (each its own port and state folder)
     * @param store       the store URL every controller uses (e.g. etcd://…), or null for the embedded one
     * @param leaseTtl    the controllers' node lease TTL (e.g. "2s")
     * @param taskWait    the controllers' api.taskWait (a cut-off create is the reconcile's after twice that)
     */
    public Cluster(Path dir, int controllers, String store, String leaseTtl, String taskWait) throws IOException {
        if (controllers < 1 || (controllers > 1 && store == null)) {
            throw new IllegalArgumentException("at least one controller; several need a shared store");
        }
        this.dir = dir;
        for (int i = 0; i < controllers; i++) {
            ports.add(freePort());
        }
        this.port = ports.getFirst();
        this.controllers = new ServeProcess[controllers];
        this.store = store;
        this.leaseTtl = leaseTtl;
        this.taskWait = taskWait;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public String url() {
        return url(0);
    }

    /** Controller {@code i}'s URL (0-based). */
    public String url(int i) {
        return "https://127.0.0.1:" + ports.get(i);
    }

    /** Every controller URL, comma-separated, as an agent's controller.url takes them. */
    public String urls() {
        return java.util.stream.IntStream.range(0, controllers.length).mapToObj(this::url).collect(Collectors.joining(","));
    }

    public int controllerCount() {
        return controllers.length;
    }

    private String services() {
        return """
                services:
                  local:
                    driver: loop
                    options: {pool: %1$s/pool}
                    allow: [admin, "agent-*"]
                  scratch:
                    driver: dir
                    options: {root: %1$s/dirs}
                    allow: [admin]
                """.formatted(dir);
    }

    /** Controller {@code i}'s folder: {@code ctl} for the first (as with one), {@code ctl2}, … */
    public Path controllerDir(int i) {
        return dir.resolve(i == 0 ? "ctl" : "ctl" + (i + 1));
    }

    public Path controllerConfig() throws IOException {
        return controllerConfig(0);
    }

    public Path controllerConfig(int i) throws IOException {
        Path f = dir.resolve(i == 0 ? "controller.yml" : "controller" + (i + 1) + ".yml");
        Path ctl = controllerDir(i);
        StringBuilder shared = new StringBuilder();
        if (store != null) {
            shared.append("store: ").append(store).append('\n');
        }
        if (i > 0) {
            // The first controller's key and certificate: one identity for all of them.
            shared.append("auth:\n  key: ").append(keyFile()).append('\n');
        }
        Files.writeString(f, """
                role: controller
                node: ctl%3$s
                stateDir: %1$s/state
                socket: %1$s/berth.sock
                leaseTtl: %4$s
                api:
                  listen: 127.0.0.1:%2$d
                  taskWait: %6$s
                  %5$s
                volumes:
                  defaultSize: 64M
                """.formatted(ctl, ports.get(i), i == 0 ? "" : String.valueOf(i + 1), leaseTtl,
                i == 0 ? "" : "cert: " + certificate() + "\n  key: " + tlsKey(), taskWait)
                + shared + services());
        return f;
    }

    public ServeProcess startController() throws Exception {
        return startController(0, Map.of());
    }

    /** Starts controller {@code i} (with {@code env}, e.g. test checkpoints) and waits for its socket. */
    public ServeProcess startController(int i, Map<String, String> env) throws Exception {
        Path ctl = controllerDir(i);
        String name = i == 0 ? "controller" : "controller" + (i + 1);
        ServeProcess p = ServeProcess.start(controllerConfig(i), dir.resolve(name + ".log"), env);
        controllers[i] = p;
        if (i == 0) {
            controller = p;
        }
        return p.awaitReady(ctl.resolve("berth.sock"), Duration.ofSeconds(60));
    }

    /** Controller {@code i} as last started (null if never). */
    public ServeProcess controller(int i) {
        return controllers[i];
    }

    public String fingerprint() {
        return TlsMaterial.load(certificate(), tlsKey()).fingerprint();
    }

    public Path certificate() {
        return dir.resolve("ctl/state/tls").resolve(TlsMaterial.CERT_NAME);
    }

    private Path tlsKey() {
        return dir.resolve("ctl/state/tls").resolve(TlsMaterial.KEY_NAME);
    }

    /** The HS256 key every controller verifies tokens with (the first controller makes it). */
    public Path keyFile() {
        return dir.resolve("ctl/state/auth/hs256.key");
    }

    public String token(String subject) {
        return TokenIssuer.issueHs256(keyFile(), subject, Duration.ofHours(1), Map.of());
    }

    /** A node token for node {@code node}, subject {@code agent-<node>} (allowed on service local). */
    public String nodeToken(String node) {
        return nodeToken(node, "agent-" + node);
    }

    public String nodeToken(String node, String subject) {
        return TokenIssuer.issueHs256(keyFile(), subject, node, Duration.ofHours(1), Map.of());
    }

    /** Writes the agent's node token to {@code <dir>/<node>/token}, mode 0600 from the start. */
    public Path tokenFile(String node) throws IOException {
        Path f = dir.resolve(node).resolve("token");
        Files.createDirectories(f.getParent());
        Files.deleteIfExists(f);
        Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(f, nodeToken(node) + "\n");
        return f;
    }

    public Path agentSocket(String node) {
        return dir.resolve(node).resolve("berth.sock");
    }

    /** The agent's config; controller.url lists every controller, in order. */
    public Path agentConfig(String node, String trustLine, String extra) throws IOException {
        Path f = dir.resolve(node + ".yml");
        Files.writeString(f, """
                role: agent
                node: %2$s
                stateDir: %1$s/%2$s/state
                socket: %1$s/%2$s/berth.sock
                mountRoot: %1$s/%2$s/volumes
                knownHosts: %1$s/%2$s/known_hosts
                controller:
                  url: %3$s
                  tokenFile: %4$s
                  %5$s
                docker:
                  enabled: true
                  socket: %1$s/%2$s/docker.sock
                %6$s
                """.formatted(dir, node, urls(), tokenFile(node), trustLine, extra) + services());
        return f;
    }

    public ServeProcess startAgent(String node, String trustLine) throws Exception {
        return startAgent(node, trustLine, "");
    }

    public ServeProcess startAgent(String node, String trustLine, String extra) throws Exception {
        return ServeProcess.start(agentConfig(node, trustLine, extra), dir.resolve(node + ".log"), Map.of())
                .awaitReady(agentSocket(node), Duration.ofSeconds(60));
    }

    /** The agent's Docker plugin socket (what its dockerd would use). */
    public Path dockerSocket(String node) {
        return dir.resolve(node).resolve("docker.sock");
    }

    /** CLI arguments that point a command at the first controller as the admin. */
    public String[] admin(String... args) {
        return admin(0, args);
    }

    /** CLI arguments that point a command at controller {@code i} as the admin. */
    public String[] admin(int i, String... args) {
        String[] out = new String[args.length + 6];
        System.arraycopy(args, 0, out, 0, args.length);
        out[args.length] = "--host";
        out[args.length + 1] = url(i);
        out[args.length + 2] = "--token";
        out[args.length + 3] = token("admin");
        out[args.length + 4] = "--fingerprint";
        out[args.length + 5] = fingerprint();
        return out;
    }

    /** A REST client of controller {@code i} with {@code token}, pinned to the shared certificate. */
    public RestClient rest(int i, String token) {
        return RestClient.tcp(java.net.URI.create(url(i)), new ClientTrust.Pinned(fingerprint()), token);
    }

    /** CLI arguments that point a command at an agent's local socket. */
    public String[] onAgent(String node, String... args) {
        String[] out = new String[args.length + 2];
        System.arraycopy(args, 0, out, 0, args.length);
        out[args.length] = "--socket";
        out[args.length + 1] = agentSocket(node).toString();
        return out;
    }

    /** Kills every controller still running (kill -9: nothing here needs a clean stop). */
    @Override
    public void close() throws Exception {
        for (ServeProcess p : controllers) {
            if (p != null) {
                p.close();
            }
        }
    }
}
