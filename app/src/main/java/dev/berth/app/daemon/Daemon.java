package dev.berth.app.daemon;

import dev.berth.app.Version;
import dev.berth.app.config.Config;
import dev.berth.app.config.Keys;
import dev.berth.core.model.Node;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.MountLayout;
import dev.berth.core.service.NodeLease;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.VolumeDefaults;
import dev.berth.core.service.VolumeService;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StateStore;
import dev.berth.protocols.docker.DockerPluginApi;
import dev.berth.protocols.http.Blocking;
import dev.berth.protocols.http.UnixSocketServer;
import dev.berth.protocols.rest.RestApi;
import dev.berth.protocols.rest.ServerInfo;
import dev.berth.store.embedded.SqliteStateStore;
import dev.berth.store.json.JsonCodec;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Logger;

/**
 * {@code berth serve} in the all-in-one role: store, services, reconciliation, then the local API.
 * Stopping it closes sockets and the store but never unmounts volumes: containers keep running and
 * the next start re-adopts their mounts.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Daemon.class.getName());
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final VolumeService volumes;
    private final List<String> reconcileReport;

    private Daemon(Config config, Checkpoints checkpoints) {
        try {
            HostOps host = Wiring.hostOps();
            StateStore store = SqliteStateStore.open(config.path(Keys.STATE_DIR));
            closeables.add(store);
            Codec codec = new JsonCodec();
            ServiceRegistry services = new ServiceRegistry(Wiring.drivers(config, host), config.get(Keys.DEFAULT_SERVICE));
            String nodeId = Wiring.nodeId(config);
            NodeLease lease = new NodeLease(store, codec, new Node(nodeId, "", Version.get()), config.duration(Keys.LEASE_TTL));
            closeables.add(lease);
            volumes = new VolumeService(store, codec, services,
                    new VolumeDefaults(config.size(Keys.DEFAULT_SIZE), config.fsType(Keys.DEFAULT_FS)), host,
                    new MountLayout(config.path(Keys.MOUNT_ROOT), config.get(Keys.DEFAULT_SERVICE)), lease,
                    Clock.systemUTC(), checkpoints);
            lease.onNewLease(id -> volumes.reclaim());
            lease.start();
            reconcileReport = volumes.reconciler(host).run();

            Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
            closeables.add(() -> vertx.close().toCompletionStage().toCompletableFuture().get());
            Blocking blocking = new Blocking();
            closeables.add(blocking);
            ServerInfo info = new ServerInfo(Version.get(), "all-in-one", nodeId, "v1");
            var api = UnixSocketServer.start(vertx, config.path(Keys.SOCKET),
                    PosixFilePermissions.fromString("rw-------"), null, new RestApi(volumes, info, blocking).router(vertx));
            closeables.add(api);
            if (config.bool(Keys.DOCKER_ENABLED)) {
                closeables.add(new DockerPluginApi(volumes, nodeId, blocking)
                        .serve(vertx, config.path(Keys.DOCKER_SOCKET), config.get(Keys.DOCKER_GROUP)));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public static Daemon start(Config config, Checkpoints checkpoints) {
        return new Daemon(config, checkpoints);
    }

    public VolumeService volumes() {
        return volumes;
    }

    public List<String> reconcileReport() {
        return reconcileReport;
    }

    @Override
    public void close() {
        List<AutoCloseable> reversed = new ArrayList<>(closeables);
        Collections.reverse(reversed);
        for (AutoCloseable c : reversed) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warning("while stopping: " + e);
            }
        }
        closeables.clear();
    }
}
