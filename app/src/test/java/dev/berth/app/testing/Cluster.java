package dev.berth.app.testing;

import dev.berth.protocols.rest.security.TlsMaterial;
import dev.berth.protocols.rest.security.TokenIssuer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;

/**
 * A controller and agents as separate `berth serve` processes on this machine: loopback TCP,
 * TLS and tokens on, each with its own socket, state and mount root, all sharing one loop pool
 * (the "SAN"). Services: {@code local} (loop; subjects admin and agent-*) and {@code scratch}
 * (dir; admin only). As in the README's "Several hosts": each agent has a node token (node id
 * {@code N}, subject {@code agent-N}) in a file of mode 0600, given as controller.tokenFile.
 */
public final class Cluster implements AutoCloseable {
    public final Path dir;
    public final int port;
    public ServeProcess controller;

    public Cluster(Path dir) throws IOException {
        this.dir = dir;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            this.port = s.getLocalPort();
        }
    }

    public String url() {
        return "https://127.0.0.1:" + port;
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

    public Path controllerConfig() throws IOException {
        Path f = dir.resolve("controller.yml");
        Files.writeString(f, """
                role: controller
                node: ctl
                stateDir: %1$s/ctl/state
                socket: %1$s/ctl/berth.sock
                leaseTtl: 3s
                api:
                  listen: 127.0.0.1:%2$d
                  taskWait: 30s
                volumes:
                  defaultSize: 64M
                """.formatted(dir, port) + services());
        return f;
    }

    public ServeProcess startController() throws Exception {
        controller = ServeProcess.start(controllerConfig(), dir.resolve("controller.log"), Map.of())
                .awaitReady(dir.resolve("ctl/berth.sock"), Duration.ofSeconds(60));
        return controller;
    }

    public String fingerprint() {
        Path tls = dir.resolve("ctl/state/tls");
        return TlsMaterial.load(tls.resolve(TlsMaterial.CERT_NAME), tls.resolve(TlsMaterial.KEY_NAME)).fingerprint();
    }

    public Path certificate() {
        return dir.resolve("ctl/state/tls").resolve(TlsMaterial.CERT_NAME);
    }

    public String token(String subject) {
        return TokenIssuer.issueHs256(dir.resolve("ctl/state/auth/hs256.key"), subject, Duration.ofHours(1), Map.of());
    }

    /** A node token for node {@code node}, subject {@code agent-<node>} (allowed on service local). */
    public String nodeToken(String node) {
        return nodeToken(node, "agent-" + node);
    }

    public String nodeToken(String node, String subject) {
        return TokenIssuer.issueHs256(dir.resolve("ctl/state/auth/hs256.key"), subject, node, Duration.ofHours(1), Map.of());
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
                """.formatted(dir, node, url(), tokenFile(node), trustLine, extra) + services());
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

    /** CLI arguments that point a command at the controller as the admin. */
    public String[] admin(String... args) {
        String[] out = new String[args.length + 6];
        System.arraycopy(args, 0, out, 0, args.length);
        out[args.length] = "--host";
        out[args.length + 1] = url();
        out[args.length + 2] = "--token";
        out[args.length + 3] = token("admin");
        out[args.length + 4] = "--fingerprint";
        out[args.length + 5] = fingerprint();
        return out;
    }

    /** CLI arguments that point a command at an agent's local socket. */
    public String[] onAgent(String node, String... args) {
        String[] out = new String[args.length + 2];
        System.arraycopy(args, 0, out, 0, args.length);
        out[args.length] = "--socket";
        out[args.length + 1] = agentSocket(node).toString();
        return out;
    }

    @Override
    public void close() throws Exception {
        if (controller != null) {
            controller.close();
        }
    }
}
