package dev.berth.app.daemon;

import dev.berth.app.Version;
import dev.berth.app.config.Config;
import dev.berth.app.config.Keys;
import dev.berth.core.controller.ControllerService;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.ha.ControllerIds;
import dev.berth.core.ha.ControllerLease;
import dev.berth.core.ha.Election;
import dev.berth.core.ha.LeaderJobs;
import dev.berth.core.model.Node;
import dev.berth.core.node.NodeService;
import dev.berth.core.node.Reconciler;
import dev.berth.core.node.NodeSession;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.CombinedVolumes;
import dev.berth.core.service.MountLayout;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.VolumeAdmin;
import dev.berth.core.service.VolumeDefaults;
import dev.berth.core.spi.ControlPlane;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StateStore;
import dev.berth.core.task.MemoryTaskBook;
import dev.berth.core.task.StoreTaskBook;
import dev.berth.core.task.TaskBook;
import dev.berth.protocols.docker.DockerPluginApi;
import dev.berth.protocols.http.Blocking;
import dev.berth.protocols.http.HttpGuard;
import dev.berth.protocols.http.HttpLimits;
import dev.berth.protocols.http.UnixSocketServer;
import dev.berth.protocols.rest.Access;
import dev.berth.protocols.rest.RemoteController;
import dev.berth.protocols.rest.RestApi;
import dev.berth.protocols.rest.RestErrors;
import dev.berth.protocols.rest.ServerInfo;
import dev.berth.protocols.rest.Tasks;
import dev.berth.store.json.JsonCodec;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.lang.management.ManagementFactory;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * {@code berth serve} in one of three roles. all-in-one: controller and node in one process.
 * controller: store, drivers' backend side and the TCP API, no host work. agent: host work on this
 * node, talking to a remote controller. Stopping closes sockets and the store but never unmounts
 * volumes: containers keep running and the next start re-adopts their mounts.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Daemon.class.getName());
    private static final Duration TASK_KEEP = Duration.ofMinutes(10);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final CombinedVolumes volumes;
    private final List<String> reconcileReport;
    private final String role;

    private Daemon(Config config, Checkpoints checkpoints, boolean adoptPool) {
        EarlySockets early = null;
        boolean joined = false;
        StartGate gate = null;
        try {
            role = config.get(Keys.ROLE);
            boolean isController = !role.equals("agent");
            boolean isNode = !role.equals("controller");
            if (adoptPool && !isController) {
                throw new InvalidArgument("--adopt-pool rebuilds volume records in the controller's state store; "
                        + "an agent has none", "run `berth serve --adopt-pool` on the controller (or all-in-one)");
            }
            // Before the store and the reconcile: a second daemon on this configuration must not get
            // as far as cleaning up devices and mounts the first one is using.
            UnixSocketServer.refuseIfServed(config.path(Keys.SOCKET));
            String nodeId = Wiring.nodeId(config);
            HttpLimits limits = httpLimits(config);
            Blocking blocking = new Blocking();
            closeables.add(blocking);
            // The Docker plugin socket first, while this thread opens the store: dockerd waits for
            // it at boot, Plugin.Activate needs nothing else, and every other call waits at the gate.
            boolean docker = isNode && config.bool(Keys.DOCKER_ENABLED);
            StartGate dockerGate = docker ? new StartGate(config.duration(Keys.API_TASK_WAIT)) : null;
            gate = dockerGate;
            early = EarlySockets.begin(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE, !docker ? null
                    : vertx -> new DockerPluginApi(dockerGate, nodeId, blocking)
                            .serve(vertx, config.path(Keys.DOCKER_SOCKET), config.get(Keys.DOCKER_GROUP), limits));
            HostOps host = Wiring.hostOps(config);
            ServiceRegistry services = new ServiceRegistry(Wiring.drivers(config, host), config.get(Keys.DEFAULT_SERVICE));
            notes.addAll(ServiceNotes.lines(config, services));
            ControllerService controller = null;
            VolumeAdmin admin;
            ControlPlane control;
            Supplier<Optional<String>> health = Optional::empty;
            TaskBook taskBook = new MemoryTaskBook(TASK_KEEP, Clock.systemUTC());
            long storeStart = System.nanoTime();
            if (isController) {
                StateStore store = Wiring.store(config);
                closeables.add(store);
                controller = new ControllerService(store, new JsonCodec(), services,
                        new VolumeDefaults(config.size(Keys.DEFAULT_SIZE), config.fsType(Keys.DEFAULT_FS)),
                        config.duration(Keys.LEASE_TTL), Clock.systemUTC(), checkpoints,
                        // A create or remove cut off this long ago is no call's own any more (the API's
                        // wait, twice): the reconcile finishes it.
                        config.duration(Keys.API_TASK_WAIT).multipliedBy(2), config.duration(Keys.FENCING_GRACE),
                        dev.berth.core.ha.Monotonic.SYSTEM);
                // Before the node registers (its first write): an empty store over a full pool is refused here.
                notes.addAll(controller.checkBackends(adoptPool, Wiring.storeLocation(config)));
                health = store::failure;
                // Registered in controllers/<id> for this process's life; leads background jobs.
                ControllerLease lease = ControllerLease.register(store, ControllerIds.fresh(nodeId),
                        "berth " + Version.get() + " on " + Wiring.hostName(), config.duration(Keys.LEASE_TTL));
                closeables.add(lease);
                LeaderJobs jobs = new LeaderJobs(new Election(store, lease));
                closeables.add(jobs);
                StoreTaskBook storeTasks = new StoreTaskBook(store, new JsonCodec(), lease.id(), TASK_KEEP,
                        Clock.systemUTC(), Tasks::outcome, config.duration(Keys.LEASE_TTL));
                ControllerService purging = controller;
                jobs.every("task-purge", Duration.ofMinutes(1), () -> {
                    storeTasks.purge();
                    purging.purgeEvents();
                });
                // Crashed creates/removes are finished by whichever controller leads this job.
                jobs.every("reconcile", Duration.ofMinutes(1), new ReconcileJob(controller));
                taskBook = storeTasks;
                admin = controller;
                control = controller;
            } else {
                RemoteController remote = RemoteController.forAgent(Wiring.controllerClient(config), Version.get());
                closeables.add(remote);
                admin = remote;
                control = remote;
            }
            long storeMillis = millisSince(storeStart);
            // Before the node's first write: a plugin socket that could not be served stops the start here.
            EarlySockets.Started sockets = early.join();
            joined = true;
            Vertx vertx = sockets.vertx();
            closeables.add(() -> vertx.close().toCompletionStage().toCompletableFuture().get());
            if (sockets.docker() != null) {
                closeables.add(sockets.docker());
            }
            NodeService node = null;
            NodeSession session = null;
            Reconciler.Start reconcile = null;
            long reconcileStart = System.nanoTime();
            if (isNode) {
                String margin = config.get(Keys.FENCING_MARGIN);
                dev.berth.core.spi.ContainerRuntime runtime = Wiring.containerRuntime(config);
                if (runtime instanceof AutoCloseable closeable) {
                    closeables.add(closeable);
                }
                session = new NodeSession(control, new Node(nodeId, Wiring.hostName(), Version.get()),
                        dev.berth.core.ha.Monotonic.SYSTEM, margin.equals("auto") ? null : config.duration(Keys.FENCING_MARGIN));
                closeables.add(session);
                node = new NodeService(control, nodeId, services, host,
                        new MountLayout(config.path(Keys.MOUNT_ROOT), config.get(Keys.DEFAULT_SERVICE)), checkpoints,
                        dev.berth.core.node.GrantBook.open(config.path(Keys.STATE_DIR).resolve("grants.json"), new JsonCodec()),
                        Wiring.fenceOps(runtime, host), config.duration(Keys.FENCING_TAKEOVER_WAIT),
                        dev.berth.core.ha.Monotonic.SYSTEM);
                NodeService fencing = node;
                NodeSession started = session;
                session.onReRegistered(() -> fencing.checkGrants().forEach(LOG::warning));
                session.onDeadline(() -> fencing.selfFence("no lease renewal was acknowledged for "
                        + (started.ttl().minus(started.margin())).toMillis() + " ms (leaseTtl " + started.ttl().toMillis()
                        + " ms minus the margin): the controller may hand its volumes on"));
                session.afterAck(() -> {
                    fencing.checkLostGrants();
                    fencing.reportGivenUp();
                });
                // Renewals first (a slow check must not look like a lost lease), then, before anything
                // else of this node: what it held before it stopped, and whether it still may.
                session.start();
                notes.addAll(node.checkGrants());
                reconcile = node.reconciler().begin();
            }
            volumes = new CombinedVolumes(admin, node);
            if (gate != null) {
                gate.open(volumes, reconcile.pending());
                LOG.info("Docker volume plugin serving volumes (" + uptime() + " ms after the JVM started; store "
                        + storeMillis + " ms" + (reconcile.pending().isEmpty() ? ""
                        : "; " + reconcile.pending().size() + " volume(s) wait for their reconcile") + ")");
            }
            StartGate reconciled = gate;
            reconcileReport = reconcile == null ? List.of()
                    : reconcile.finish(reconciled == null ? v -> { } : reconciled::reconciled);
            long reconcileMillis = millisSince(reconcileStart);
            if (controller != null && !adoptPool) {
                notes.addAll(controller.reconcile().lines());
            }

            Tasks tasks = new Tasks(config.duration(Keys.API_TASK_WAIT), taskBook);
            ServerInfo info = ServerInfo.of(Version.get(), role, nodeId);
            TcpApi tcp = isController ? TcpApi.prepare(config) : null;
            if (tcp != null) {
                closeables.add(tcp.start(vertx, new RestApi(volumes, controller, info, blocking, tasks, tcp.access(), health), limits));
                notes.addAll(tcp.notes());
            }
            // The local socket comes last: once it answers, everything else is up (the Docker
            // socket too) and the reconcile is over.
            RestApi local = new RestApi(volumes, controller, info, blocking, tasks, Access.OPEN, health);
            closeables.add(UnixSocketServer.start(vertx, config.path(Keys.SOCKET),
                    PosixFilePermissions.fromString("rw-------"), null, local.router(vertx, null), 1,
                    new HttpGuard(config.get(Keys.SOCKET), limits, RestErrors::send)));
            if (config.bool(Keys.CSI_ENABLED)) {
                closeables.add(Wiring.csi(config, controller, node, session, services, health, nodeId));
            }
            if (controller != null) {
                // Nodes could not heartbeat while this process started: their leases count from now.
                try {
                    controller.renewNodeLeases();
                } catch (dev.berth.core.error.BerthException e) {
                    LOG.warning("could not renew the node leases after the start: " + e.fullMessage());
                }
            }
            LOG.info("started in " + uptime() + " ms after the JVM started (store " + storeMillis + " ms, reconcile "
                    + reconcileMillis + " ms)");
        } catch (RuntimeException | Error e) {
            if (gate != null) {
                gate.failed(e instanceof dev.berth.core.error.BerthException b ? b
                        : new dev.berth.core.error.BackendFailure("the start failed: " + e, "see the log of `berth serve`"));
            }
            if (early != null && !joined) {
                early.abandon();
            }
            close();
            throw e;
        }
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    private static long uptime() {
        return ManagementFactory.getRuntimeMXBean().getUptime();
    }

    /** The limits of every listener (http.*: header and idle timeouts, connection cap). */
    static HttpLimits httpLimits(Config config) {
        return new HttpLimits(config.duration(Keys.HTTP_HEADER_TIMEOUT), config.duration(Keys.HTTP_IDLE_TIMEOUT),
                config.count(Keys.HTTP_MAX_CONNECTIONS));
    }

    public static Daemon start(Config config, Checkpoints checkpoints) {
        return new Daemon(config, checkpoints, false);
    }

    /** @param adoptPool rebuild the records of backend volumes no record owns (after the state was lost) */
    public static Daemon start(Config config, Checkpoints checkpoints, boolean adoptPool) {
        return new Daemon(config, checkpoints, adoptPool);
    }

    public CombinedVolumes volumes() {
        return volumes;
    }

    public String role() {
        return role;
    }

    public List<String> reconcileReport() {
        return reconcileReport;
    }

    /** Lines worth printing at start (TCP address, certificate fingerprint, warnings). */
    public List<String> notes() {
        return notes;
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
