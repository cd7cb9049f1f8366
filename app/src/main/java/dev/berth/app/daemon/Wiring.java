package dev.berth.app.daemon;

import dev.berth.app.config.Config;
import dev.berth.app.config.ConfigLoader;
import dev.berth.app.config.Keys;
import dev.berth.app.config.ServiceConfig;
import dev.berth.core.spi.ContainerRuntime;
import dev.berth.core.spi.DriverFactory;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StorageDriver;
import dev.berth.drivers.dir.DirDriverFactory;
import dev.berth.drivers.loop.LoopDriverFactory;
import dev.berth.host.LinuxHostOps;
import dev.berth.host.ProcessRunner;
import dev.berth.host.SyscallMode;
import dev.berth.protocols.docker.DockerEngine;
import dev.berth.protocols.rest.RestClient;
import dev.berth.protocols.rest.security.ClientTrust;
import dev.berth.protocols.rest.security.TokenFile;
import dev.berth.store.embedded.SqliteStateStore;
import dev.berth.store.etcd.EtcdSettings;
import dev.berth.store.etcd.EtcdStateStore;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The one place that knows every implementation: which drivers exist and how parts are built. */
public final class Wiring {
    public static final List<DriverFactory> DRIVERS = List.of(new LoopDriverFactory(), new DirDriverFactory());

    private Wiring() {
    }

    public static ConfigLoader configLoader() {
        Map<String, Set<String>> options = new TreeMap<>();
        Map<String, Set<String>> required = new TreeMap<>();
        DRIVERS.forEach(f -> options.put(f.kind(), f.options()));
        DRIVERS.forEach(f -> required.put(f.kind(), f.requiredOptions()));
        return new ConfigLoader(options, required);
    }

    public static HostOps hostOps() {
        return new LinuxHostOps(new ProcessRunner());
    }

    /** The host as configured: host.syscalls picks system calls or tools for loop devices and mounts. */
    public static HostOps hostOps(Config config) {
        return new LinuxHostOps(new ProcessRunner(), SyscallMode.parse(config.get(Keys.HOST_SYSCALLS)));
    }

    public static Map<String, StorageDriver> drivers(Config config, HostOps host) {
        Map<String, StorageDriver> out = new LinkedHashMap<>();
        for (ServiceConfig s : config.services()) {
            DriverFactory f = DRIVERS.stream().filter(d -> d.kind().equals(s.driver())).findFirst().orElseThrow();
            out.put(s.name(), f.create(s.name(), s.options(), host, config.path(Keys.STATE_DIR), config.path(Keys.MOUNT_ROOT)));
        }
        return out;
    }

    /**
     * The host's container engine, for fencing: the Docker Engine API at docker.engineSocket, or
     * {@link ContainerRuntime#NONE} when that is empty (no Docker on this host).
     */
    public static ContainerRuntime containerRuntime(Config c) {
        String socket = c.get(Keys.DOCKER_ENGINE_SOCKET);
        if (socket.isEmpty()) {
            return ContainerRuntime.NONE;
        }
        // dockerd names a legacy plugin by its socket's file name: berth.sock is "berth".
        String plugin = c.path(Keys.DOCKER_SOCKET).getFileName().toString().replaceFirst("\\.sock$", "");
        return new DockerEngine(dev.berth.host.HostPaths.parse(Keys.DOCKER_ENGINE_SOCKET.name(), socket),
                DockerEngine.DEFAULT_DEADLINE, plugin);
    }

    /**
     * The controller's state store (key store): embedded, the SQLite store in stateDir (one host),
     * or an etcd cluster shared by every controller, with its TLS, user and deadline.
     */
    /**
     * The CSI socket of this process: Identity always, Controller where a controller runs, Node
     * where a node runs. Probe says UNAVAILABLE while the store has failed or the node's lease is
     * not trusted, FAILED_PRECONDITION while the process stops.
     */
    public static AutoCloseable csi(Config c, dev.berth.core.controller.ControllerService controller,
                                    dev.berth.core.node.NodeService node, dev.berth.core.node.NodeSession session,
                                    dev.berth.core.service.ServiceRegistry services,
                                    java.util.function.Supplier<java.util.Optional<String>> health, String nodeId) {
        java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
        String zone = dev.berth.app.config.CsiSettings.zone(c);
        dev.berth.csi.CsiIdentity.Readiness ready = () -> {
            if (stopping.get()) {
                throw new dev.berth.core.error.Busy("Berth is stopping", "wait for it to start again");
            }
            health.get().ifPresent(f -> {
                throw new dev.berth.core.error.Unavailable("the state store cannot be used: " + f, "see the log of `berth serve`");
            });
            if (session != null && !session.trusted()) {
                throw new dev.berth.core.error.Unavailable("node " + nodeId + " has no acknowledged lease renewal: the "
                        + "controller cannot be reached, and its volumes were given up", "check the controller and the network");
            }
        };
        List<io.grpc.BindableService> served = new java.util.ArrayList<>();
        served.add(new dev.berth.csi.CsiIdentity(dev.berth.app.Version.get(), controller != null, !zone.isEmpty(), ready));
        if (controller != null) {
            // Copies and growth through the node too: in all-in-one a volume mounted here is frozen
            // around a snapshot and grown here online.
            served.add(new dev.berth.csi.CsiController(new dev.berth.core.service.CombinedVolumes(controller, node),
                    controller, services, zone, c.size(Keys.DEFAULT_SIZE)));
        }
        if (node != null) {
            served.add(new dev.berth.csi.CsiNode(new dev.berth.core.node.PathVolumes(node), nodeId,
                    new dev.berth.core.service.CallerPaths(berthFolders(c)),
                    zone, dev.berth.app.config.CsiSettings.maxVolumes(c)));
        }
        dev.berth.csi.CsiServer server = dev.berth.csi.CsiServer.start(dev.berth.app.config.CsiSettings.endpoint(c), served,
                List.of(new dev.berth.csi.RequestLog()));
        return () -> {
            stopping.set(true);
            server.close();
        };
    }

    /**
     * The folders no orchestrator path may be or lie in: the mount root, the state folder and every
     * service's pool or root (a bind there would hide Berth's own mounts, records or images).
     */
    static List<Path> berthFolders(Config c) {
        List<Path> out = new java.util.ArrayList<>(List.of(c.path(Keys.MOUNT_ROOT), c.path(Keys.STATE_DIR)));
        for (ServiceConfig s : c.services()) {
            for (String key : List.of("pool", "root")) {
                String v = s.options().get(key);
                if (v != null && !v.isEmpty()) {
                    out.add(Path.of(v));
                }
            }
        }
        return List.copyOf(out);
    }

    public static StateStore store(Config c) {
        String store = c.get(Keys.STORE);
        if (store.equals("embedded")) {
            return SqliteStateStore.open(c.path(Keys.STATE_DIR));
        }
        return EtcdStateStore.open(etcdSettings(c));
    }

    static EtcdSettings etcdSettings(Config c) {
        EtcdSettings s = EtcdSettings.of(c.get(Keys.STORE)).withPrefix(c.get(Keys.STORE_ETCD_PREFIX))
                .withTimeout(c.duration(Keys.STORE_ETCD_TIMEOUT))
                .withTls(optionalPath(c, Keys.STORE_ETCD_CA), optionalPath(c, Keys.STORE_ETCD_CERT), optionalPath(c, Keys.STORE_ETCD_KEY));
        String user = c.get(Keys.STORE_ETCD_USER);
        String passwordFile = c.get(Keys.STORE_ETCD_PASSWORD_FILE);
        return s.withUser(user.isEmpty() ? null : user, passwordFile.isEmpty() ? null : EtcdPassword.read(Path.of(passwordFile)));
    }

    /** Where the state lives, for messages: the state directory or the etcd members and prefix. */
    public static String storeLocation(Config c) {
        return c.get(Keys.STORE).equals("embedded") ? c.path(Keys.STATE_DIR).toString()
                : c.get(Keys.STORE) + " (prefix " + c.get(Keys.STORE_ETCD_PREFIX) + ")";
    }

    private static Path optionalPath(Config c, dev.berth.app.config.Key k) {
        return c.get(k).isEmpty() ? null : c.path(k);
    }

    /**
     * The agent's client of its controller: TLS trust (CA, pinned or first use) and the token, read
     * from controller.tokenFile (or, discouraged, given as controller.token).
     */
    public static RestClient controllerClient(Config c) {
        List<URI> uri = Config.controllerUris(c.get(Keys.CONTROLLER));
        String token = c.get(Keys.CONTROLLER_TOKEN_FILE).isEmpty() ? c.get(Keys.CONTROLLER_TOKEN)
                : TokenFile.read(c.path(Keys.CONTROLLER_TOKEN_FILE));
        return client(uri, c.get(Keys.CONTROLLER_CA), c.get(Keys.CONTROLLER_FINGERPRINT), c.get(Keys.KNOWN_HOSTS), token);
    }

    /**
     * A TCP client: https with the given trust (CA file, else pinned fingerprint, else trust on
     * first use in knownHosts), checked per host:port; plain http only when the URL says so (the
     * server knowingly has TLS off). Several URLs: the client moves on when one cannot be reached.
     */
    public static RestClient client(List<URI> uri, String ca, String fingerprint, String knownHosts, String token) {
        ClientTrust trust = ClientTrust.choose(ca.isEmpty() ? null : Path.of(ca), fingerprint,
                knownHosts.isEmpty() ? null : Path.of(knownHosts));
        return RestClient.tcp(uri, trust, token.isEmpty() ? null : token);
    }

    public static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    /** The node id: configured, else the host name (cut to a valid name). */
    public static String nodeId(Config config) {
        String configured = config.get(Keys.NODE);
        if (!configured.isEmpty()) {
            return configured;
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        String cleaned = host.replaceAll("[^A-Za-z0-9_.-]", "-").replaceAll("\\.\\.+", ".");
        cleaned = cleaned.replaceAll("^[^A-Za-z0-9]+", "");
        return cleaned.isEmpty() ? "localhost" : cleaned.substring(0, Math.min(cleaned.length(), 128));
    }

    /**
     * How this node stops writers and forces mounts off when it gives a volume up: the container
     * engine of docker.engineSocket, then the host's processes.
     */
    public static dev.berth.core.node.FenceOps fenceOps(ContainerRuntime runtime, HostOps host) {
        return new dev.berth.core.node.HostFenceOps(runtime, host);
    }
}
