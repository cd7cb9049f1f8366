package dev.berth.protocols.rest;

import dev.berth.core.error.BerthException;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.model.Attachment;
import dev.berth.core.model.Grant;
import java.util.List;
import dev.berth.core.model.MountRefs;
import dev.berth.core.model.Names;
import dev.berth.core.model.Node;
import dev.berth.core.model.Volume;
import dev.berth.core.service.CreateSnapshot;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.SnapshotPolicy;
import dev.berth.core.service.SnapshotRef;
import dev.berth.core.service.SnapshotView;
import dev.berth.core.service.ServiceInfo;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.service.VolumeView;
import dev.berth.core.service.Volumes;
import dev.berth.core.spi.ControlPlane;
import dev.berth.protocols.http.Blocking;
import dev.berth.protocols.http.Json;
import dev.berth.protocols.http.RouteErrors;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * REST API v1 (docs/api.md): volumes, services, nodes and tasks for users, and the node-to-
 * controller routes under {@code /v1/control} for agents. Routes only translate HTTP to core calls
 * and core errors to HTTP; all rules live in the core.
 */
public final class RestApi {
    /** Request bodies beyond this are refused before parsing. */
    public static final int MAX_BODY = 64 * 1024;
    /**
     * Request lines up to this length reach the routes, so an over-long id gets the id rule's
     * 400 with its hint rather than the HTTP layer's bare refusal.
     */
    public static final int MAX_LINE = 16 * 1024;
    private static final Logger LOG = Logger.getLogger(RestApi.class.getName());
    private final Volumes volumes;
    private final ControlPlane control;
    private final ServerInfo info;
    private final Blocking blocking;
    private final Tasks tasks;
    private final Access access;
    private final Supplier<Optional<String>> health;

    /**
     * @param control the controller's node-facing side, or null where this server is not the
     *                controller (an agent's local socket)
     */
    public RestApi(Volumes volumes, ControlPlane control, ServerInfo info, Blocking blocking, Tasks tasks, Access access) {
        this(volumes, control, info, blocking, tasks, access, Optional::empty);
    }

    /** @param health why this server cannot be trusted with changes (e.g. its state store lost its files); empty when healthy */
    public RestApi(Volumes volumes, ControlPlane control, ServerInfo info, Blocking blocking, Tasks tasks, Access access,
                   Supplier<Optional<String>> health) {
        this.volumes = volumes;
        this.control = control;
        this.info = info;
        this.blocking = blocking;
        this.tasks = tasks;
        this.access = access;
        this.health = health;
    }

    /** @param guard runs before every route except health and version (authentication); may be null */
    public Router router(Vertx vertx, Handler<RoutingContext> guard) {
        Router r = Router.router(vertx);
        r.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY));
        r.route().handler(RouteErrors::checkQuery);
        r.get("/v1/version").handler(ctx -> reply(ctx, 200, info));
        r.get("/v1/health").handler(this::health);
        if (guard != null) {
            r.route("/v1/*").handler(guard);
        }
        r.get("/v1/services").handler(ctx -> read(ctx, c -> volumes.services().stream()
                .filter(s -> access.allows(c, s.name())).toList()));
        r.get("/v1/nodes").handler(ctx -> read(ctx, c -> volumes.nodes()));
        r.get("/v1/events").handler(ctx -> read(ctx, c -> {
            String name = c.request().getParam("volume");
            VolumeRef ref = name == null || name.isEmpty() ? null : new VolumeRef(Names.volume(name), service(c));
            if (ref != null) {
                checked(c, ref);
            }
            int limit = limit(c);
            return volumes.events(ref, limit).stream().filter(e -> ref != null || eventVisible(c, e)).toList();
        }));
        r.get("/v1/tasks/:id").handler(ctx -> read(ctx, c -> tasks.get(c.pathParam("id")).orElseThrow(() ->
                new NotFound("no such task: " + c.pathParam("id"), "tasks are kept for a while after they finish"))));
        volumeRoutes(r);
        snapshotRoutes(r);
        if (control instanceof dev.berth.core.controller.ControllerService controller) {
            // POST: it changes state (finishes cut-off creates and removes); running it twice is harmless.
            r.post("/v1/reconcile").handler(ctx -> write(ctx, "reconcile", 200, c -> {
                // It acts on every service's volumes: only for a caller who may use them all.
                controller.serviceNames().forEach(service -> access.check(c, service));
                return controller.reconcile();
            }));
        }
        if (control != null) {
            controlRoutes(r);
        }
        Handler<RoutingContext> noRoute = ctx -> error(ctx, new NotFound(
                "no route " + ctx.request().method() + " " + ctx.request().path(), "see docs/api.md for the routes"));
        r.route().last().handler(noRoute);
        // Every status Vert.x Web answers itself (OPTIONS *, a bad %-escape…) in the REST error shape.
        RouteErrors.install(r, RestErrors::send, "see docs/api.md for the routes");
        r.errorHandler(404, noRoute);
        r.errorHandler(413, ctx -> error(ctx, new InvalidArgument("the request body is larger than "
                + MAX_BODY + " bytes", "send a smaller body")));
        r.errorHandler(405, ctx -> error(ctx, new InvalidArgument("method " + ctx.request().method()
                + " is not allowed on " + ctx.request().path(), "see docs/api.md for the routes")));
        r.errorHandler(400, ctx -> error(ctx, new InvalidArgument("bad request: "
                + (ctx.failure() == null ? "malformed" : ctx.failure().getMessage()), "see docs/api.md")));
        return r;
    }

    private void volumeRoutes(Router r) {
        r.get("/v1/volumes").handler(ctx -> read(ctx, c -> {
            String service = service(c);
            if (service != null) {
                access.check(c, service);
            }
            return volumes.list(service).stream().filter(v -> access.allows(c, v.service())).toList();
        }));
        r.post("/v1/volumes").handler(ctx -> write(ctx, "create", 201, (c, progress) -> {
            CreateVolumeBody b = Json.read(c.body().asString(), CreateVolumeBody.class, CreateVolumeBody.EXAMPLE);
            var source = b.source();
            // A copy without a service lands in its source's, which the source's check below covers.
            if (source == null || b.service() != null) {
                access.check(c, b.service() != null ? b.service() : defaultService());
            }
            if (source != null && source.kind() == dev.berth.core.model.ContentSource.Kind.VOLUME) {
                checked(c, VolumeRef.parse(source.ref()));
            } else if (source != null) {
                access.check(c, volumes.inspectSnapshot(SnapshotRef.parse(source.ref())).service());
            }
            return volumes.create(new CreateVolume(b.name(), b.service(), b.size(), b.fsType(), b.labels(), source,
                    frozenBy(c, b.frozenBy())), progress);
        }));
        r.get("/v1/volumes/:name").handler(ctx -> read(ctx, c -> checked(c, ref(c))));
        // 204 when no snapshot went with the volume (as before snapshots), else 200 naming them.
        r.delete("/v1/volumes/:name").handler(ctx -> write(ctx, "remove", 200, c -> {
            VolumeRef ref = ref(c);
            SnapshotPolicy policy = policy(c);
            checked(c, ref);
            List<String> removed = volumes.remove(ref, flag(c, "force"), policy);
            return removed.isEmpty() ? null : new SnapshotBodies.Removed(removed);
        }));
        r.post("/v1/volumes/:name/expand").handler(ctx -> write(ctx, "expand", 200, c -> {
            VolumeRef ref = ref(c);
            SnapshotBodies.Expand b = Json.read(c.body().asString(), SnapshotBodies.Expand.class, SnapshotBodies.Expand.EXAMPLE);
            if (b.size() == null || b.size().isBlank()) {
                throw new InvalidArgument("the new size is missing", "send {\"size\":\"2G\"}");
            }
            checked(c, ref);
            return volumes.expand(ref, b.size());
        }));
        r.post("/v1/volumes/:name/attach").handler(ctx -> write(ctx, "attach", 200, c -> {
            VolumeRef ref = ref(c);
            checked(c, ref);
            return volumes.attach(ref, flag(c, "preempt"));
        }));
        r.post("/v1/volumes/:name/detach").handler(ctx -> write(ctx, "detach", 200, c -> {
            VolumeRef ref = ref(c);
            checked(c, ref);
            return volumes.detach(ref, flag(c, "force"));
        }));
        r.post("/v1/volumes/:name/mount").handler(ctx -> write(ctx, "mount", 200, c -> {
            VolumeRef ref = ref(c);
            MountBody b = Json.read(c.body().asString(), MountBody.class, MountBody.EXAMPLE);
            checked(c, ref);
            return Map.of("path", volumes.mount(ref, MountRefs.user(b.ref()), flag(c, "preempt")));
        }));
        r.post("/v1/volumes/:name/unmount").handler(ctx -> write(ctx, "unmount", 204, c -> {
            VolumeRef ref = ref(c);
            MountBody b = Json.read(c.body().asString(), MountBody.class, MountBody.EXAMPLE);
            checked(c, ref);
            volumes.unmount(ref, MountRefs.user(b.ref()));
            return null;
        }));
        r.get("/v1/volumes/:name/path").handler(ctx -> read(ctx, c -> {
            VolumeRef ref = ref(c);
            checked(c, ref);
            return Map.of("path", volumes.path(ref).orElseThrow(() -> new InvalidArgument("volume " + ref.name()
                    + " is not mounted on this node", "mount it first: berth volume mount " + ref.name())));
        }));
    }

    private void snapshotRoutes(Router r) {
        r.get("/v1/snapshots").handler(ctx -> read(ctx, c -> {
            String name = c.request().getParam("volume");
            VolumeRef volume = name == null || name.isEmpty() ? null : new VolumeRef(Names.volume(name), service(c));
            if (volume == null && service(c) != null) {
                access.check(c, service(c));
            }
            return volumes.snapshots(volume).stream()
                    .filter(s -> access.allows(c, s.service()))
                    .filter(s -> volume != null || service(c) == null || service(c).equals(s.service()))
                    .toList();
        }));
        r.post("/v1/snapshots").handler(ctx -> write(ctx, "snapshot", 201, (c, progress) -> {
            SnapshotBodies.Create b = Json.read(c.body().asString(), SnapshotBodies.Create.class, SnapshotBodies.Create.EXAMPLE);
            if (b.volume() == null || b.volume().isEmpty()) {
                throw new InvalidArgument("the volume to snapshot is missing", "send {\"volume\":\"db\",\"name\":\"before-upgrade\"}");
            }
            VolumeRef ref = new VolumeRef(Names.volume(b.volume()), b.service() == null ? null : Names.service(b.service()));
            CreateSnapshot request = new CreateSnapshot(ref, b.name(), frozenBy(c, b.frozenBy()));
            checked(c, ref);
            return volumes.snapshot(request, progress);
        }));
        r.get("/v1/snapshots/:ref").handler(ctx -> read(ctx, c -> checkedSnapshot(c)));
        r.delete("/v1/snapshots/:ref").handler(ctx -> write(ctx, "remove-snapshot", 204, c -> {
            checkedSnapshot(c);
            volumes.removeSnapshot(snapshotRef(c));
            return null;
        }));
    }

    /** The snapshot in the path ({@code ?service=} fills in a missing service) after checking the caller may use its service. */
    private SnapshotView checkedSnapshot(RoutingContext c) {
        SnapshotView s = volumes.inspectSnapshot(snapshotRef(c));
        access.check(c, s.service());
        return s;
    }

    private static SnapshotRef snapshotRef(RoutingContext c) {
        SnapshotRef ref = SnapshotRef.parse(c.pathParam("ref"));
        String service = service(c);
        if (service == null || ref.service() != null) {
            return ref;
        }
        if (ref.volume() == null) {
            throw new InvalidArgument("?service= was given with a snapshot named without its volume",
                    "name it <volume>@<snapshot> (or <service>/<volume>@<snapshot>)");
        }
        return new SnapshotRef(service, ref.volume(), ref.name());
    }

    /**
     * A frozenBy in a request: only the agent of that node may say it froze a volume (a node token
     * for exactly that node; the controller's root-only socket may too). A server that is not the
     * controller takes none: its agent freezes by itself, and a user's claim would copy an
     * unfrozen volume.
     */
    private String frozenBy(RoutingContext c, String frozenBy) {
        if (frozenBy == null) {
            return null;
        }
        if (control == null) {
            throw new InvalidArgument("frozenBy is set by Berth's agents on their calls to the controller, not by users",
                    "leave frozenBy out: the node that has the volume mounted freezes it itself");
        }
        String node = Names.node(frozenBy);
        try {
            access.checkNode(c, node);
        } catch (dev.berth.core.error.Forbidden e) {
            throw new dev.berth.core.error.Forbidden("frozenBy=" + node + " says node " + node
                    + " froze the volume for this copy, and only that node's agent (its node token) may say so",
                    "leave frozenBy out: the agent of the node that has the volume mounted sets it when it froze it");
        }
        return node;
    }

    private static SnapshotPolicy policy(RoutingContext c) {
        String p = c.request().getParam("snapshots");
        if (p == null || p.isEmpty()) {
            return SnapshotPolicy.REFUSE;
        }
        return switch (p) {
            case "delete" -> SnapshotPolicy.DELETE;
            case "keep" -> SnapshotPolicy.KEEP;
            case "refuse" -> SnapshotPolicy.REFUSE;
            default -> throw new InvalidArgument("query parameter snapshots=" + p + " is not delete, keep or refuse",
                    "use snapshots=delete to remove the volume's snapshots with it, snapshots=keep to keep them");
        };
    }

    /**
     * The routes agents use to reach the controller (ControlPlane over HTTP; see RemoteController).
     * Every one is for node tokens only ({@link Access#checkNode}), and every node id a request
     * names, in its path or its body, must be the caller's own ({@link #ownNode}). Every volume a
     * request touches is checked against the caller's service lists ({@link #visible}).
     */
    private void controlRoutes(Router r) {
        String c = "/v1/control";
        r.route(c + "/*").handler(ctx -> {
            try {
                access.checkNode(ctx, null);
            } catch (BerthException e) {
                error(ctx, e);
                return;
            }
            ctx.next();
        });
        r.post(c + "/nodes/:node/register").handler(ctx -> write(ctx, "register", 200, x -> {
            String node = ownNode(x, x.pathParam("node"));
            Node n = Json.read(x.body().asString(), Node.class, "{\"id\":\"host1\",\"address\":\"\",\"version\":\"\"}");
            if (!n.id().equals(node)) {
                throw new InvalidArgument("node id in the body (" + n.id() + ") is not the one in the path", "send the same id");
            }
            return new ControlBodies.Registered(control.register(n).toMillis());
        }));
        r.post(c + "/nodes/:node/heartbeat").handler(ctx -> write(ctx, "heartbeat", 204, x -> {
            control.heartbeat(ownNode(x, x.pathParam("node")));
            return null;
        }));
        r.get(c + "/nodes/:node/state").handler(ctx -> read(ctx, x -> visible(x, control.nodeState(ownNode(x, x.pathParam("node"))))));
        r.post(c + "/resolve").handler(ctx -> read(ctx, x -> {
            ControlBodies.Resolve b = Json.read(x.body().asString(), ControlBodies.Resolve.class, ControlBodies.Resolve.EXAMPLE);
            var v = control.resolve(new VolumeRef(b.name(), b.service()));
            access.check(x, v.service());
            return v;
        }));
        r.get(c + "/volumes").handler(ctx -> read(ctx, x -> control.volumes().stream()
                .filter(v -> access.allows(x, v.service())).toList()));
        r.get(c + "/volumes/:id").handler(ctx -> read(ctx, x -> optional(visible(x, volumeId(x)))));
        r.get(c + "/volumes/:id/claim").handler(ctx -> read(ctx, x -> {
            visible(x, volumeId(x));
            return optional(control.claimOf(volumeId(x)));
        }));
        r.post(c + "/volumes/:id/claim").handler(ctx -> write(ctx, "claim", 200, x -> {
            ControlBodies.ClaimRequest b = Json.read(x.body().asString(), ControlBodies.ClaimRequest.class,
                    ControlBodies.ClaimRequest.EXAMPLE);
            String node = ownNode(x, b.node());
            visible(x, volumeId(x));
            return control.claim(volumeId(x), node, b.explicit(), Boolean.TRUE.equals(b.preempt()));
        }));
        r.post(c + "/volumes/:id/release").handler(ctx -> write(ctx, "release", 204, x -> {
            Grant g = Json.read(x.body().asString(), Grant.class, ControlBodies.GRANT);
            ownGrant(x, g, volumeId(x));
            visible(x, volumeId(x));
            control.release(g);
            return null;
        }));
        r.post(c + "/nodes/:node/grants/lost").handler(ctx -> read(ctx, x -> {
            String node = ownNode(x, x.pathParam("node"));
            ControlBodies.Grants b = Json.read(x.body().asString(), ControlBodies.Grants.class, ControlBodies.Grants.EXAMPLE);
            List<Grant> grants = b.grants() == null ? List.of() : b.grants();
            if (grants.size() > 10_000) {
                throw new InvalidArgument("too many grants in one check (" + grants.size() + ")", "send at most 10000");
            }
            grants.forEach(g -> {
                ownGrant(x, g, g.volumeId());
                visible(x, g.volumeId());
            });
            return control.lostGrants(node, grants);
        }));
        r.post(c + "/nodes/:node/gave-up").handler(ctx -> write(ctx, "gave-up", 204, x -> {
            ownNode(x, x.pathParam("node"));
            ControlBodies.GaveUp b = Json.read(x.body().asString(), ControlBodies.GaveUp.class, ControlBodies.GaveUp.EXAMPLE);
            ownGrant(x, b.grant(), b.grant() == null ? null : b.grant().volumeId());
            visible(x, b.grant().volumeId());
            String what = b.what() == null ? "" : b.what();
            control.gaveUp(b.grant(), what.length() > 4000 ? what.substring(0, 4000) : what);
            return null;
        }));
        String nv = c + "/nodes/:node/volumes/:id";
        r.get(nv + "/attachment").handler(ctx -> read(ctx, x -> {
            String node = nodeAndVolume(x);
            return optional(control.attachment(node, volumeId(x)));
        }));
        r.put(nv + "/attachment").handler(ctx -> write(ctx, "attachment", 204, x -> {
            String node = nodeAndVolume(x);
            ControlBodies.GrantedAttachment b = Json.read(x.body().asString(), ControlBodies.GrantedAttachment.class,
                    ControlBodies.GrantedAttachment.EXAMPLE);
            Attachment a = b.attachment();
            if (a == null || !a.volumeId().equals(volumeId(x))) {
                throw new InvalidArgument("attachment.volumeId is missing or not the one in the path", "send the same id");
            }
            ownGrant(x, b.grant(), volumeId(x));
            control.putAttachment(b.grant(), a);
            return null;
        }));
        r.delete(nv + "/attachment").handler(ctx -> write(ctx, "attachment", 204, x -> {
            control.deleteAttachment(nodeAndVolume(x), volumeId(x));
            return null;
        }));
        r.get(nv + "/refs").handler(ctx -> read(ctx, x -> control.refs(nodeAndVolume(x), volumeId(x))));
        r.post(nv + "/refs").handler(ctx -> write(ctx, "ref", 204, x -> {
            String node = nodeAndVolume(x);
            ControlBodies.GrantedRef b = Json.read(x.body().asString(), ControlBodies.GrantedRef.class,
                    ControlBodies.GrantedRef.EXAMPLE);
            ownGrant(x, b.grant(), volumeId(x));
            control.addRef(b.grant(), dev.berth.core.model.MountRefs.check(b.ref()));
            return null;
        }));
        r.post(nv + "/refs/remove").handler(ctx -> write(ctx, "ref", 200, x -> {
            String node = nodeAndVolume(x);
            ControlBodies.Ref b = Json.read(x.body().asString(), ControlBodies.Ref.class, ControlBodies.Ref.EXAMPLE);
            return new ControlBodies.Remaining(control.removeRef(node, volumeId(x),
                    dev.berth.core.model.MountRefs.check(b.ref())));
        }));
        r.delete(nv + "/refs").handler(ctx -> write(ctx, "ref", 204, x -> {
            control.removeAllRefs(nodeAndVolume(x), volumeId(x));
            return null;
        }));
        r.post(nv + "/mounted").handler(ctx -> write(ctx, "mounted", 204, x -> {
            String node = nodeAndVolume(x);
            ControlBodies.RecordMount b = Json.read(x.body().asString(), ControlBodies.RecordMount.class,
                    ControlBodies.RecordMount.EXAMPLE);
            if (b.attachment() == null || !b.attachment().volumeId().equals(volumeId(x))) {
                throw new InvalidArgument("attachment.volumeId is missing or not the one in the path", "send the same id");
            }
            // Becomes the volume's recorded filesystem, which other nodes mount with: only one Berth makes.
            String fs = b.filesystem() == null ? null : dev.berth.core.model.FsType.parse(b.filesystem()).id();
            ownGrant(x, b.grant(), volumeId(x));
            control.recordMount(b.grant(), b.attachment(), dev.berth.core.model.MountRefs.check(b.ref()), fs);
            return null;
        }));
    }

    /**
     * A grant in a request body: present, the caller's own (a node never speaks for another), and
     * about the volume the request is about. Whether it still holds is the controller's check.
     */
    private void ownGrant(RoutingContext c, Grant g, String volumeId) {
        if (g == null) {
            throw new InvalidArgument("the request has no grant",
                    "send the grant the claim returned (agents of Berth before grants must be upgraded)");
        }
        ownNode(c, g.node());
        if (volumeId == null || !g.volumeId().equals(volumeId)) {
            throw new InvalidArgument("the grant is for volume " + g.volumeId() + ", not " + volumeId,
                    "send the grant of the volume the request is about");
        }
    }

    /** A node id the request names (path or body), validated and checked to be the caller's own. */
    private String ownNode(RoutingContext c, String node) {
        String n = Names.node(node);
        access.checkNode(c, n);
        return n;
    }

    /** For {@code /nodes/:node/volumes/:id}: the caller's own node, after checking the volume's service. */
    private String nodeAndVolume(RoutingContext c) {
        String node = ownNode(c, c.pathParam("node"));
        visible(c, volumeId(c));
        return node;
    }

    /**
     * The volume with this id after checking the caller may use its service; empty when there is
     * no such volume (a node may still clean up its own records of a removed volume).
     */
    private Optional<Volume> visible(RoutingContext c, String id) {
        Optional<Volume> v = control.volume(id);
        v.ifPresent(x -> access.check(c, x.service()));
        return v;
    }

    /** A node's records without the volumes of services the caller may not use. */
    private ControlPlane.NodeState visible(RoutingContext c, ControlPlane.NodeState state) {
        Set<String> hidden = new HashSet<>();
        for (Volume v : control.volumes()) {
            if (!access.allows(c, v.service())) {
                hidden.add(v.id());
            }
        }
        if (hidden.isEmpty()) {
            return state;
        }
        return new ControlPlane.NodeState(without(state.attachments(), hidden), without(state.refs(), hidden),
                without(state.claims(), hidden));
    }

    private static <T> Map<String, T> without(Map<String, T> byVolume, Set<String> hidden) {
        Map<String, T> out = new HashMap<>(byVolume);
        out.keySet().removeAll(hidden);
        return out;
    }

    /** Asked once: the configuration fixes it, and services() also measures every pool (du). */
    private volatile String defaultService;

    /** 200 {"status":"ok"} while healthy; 503 {"status":"failed","reason":…} once changes cannot be saved. */
    private void health(RoutingContext ctx) {
        blocking.run(health::get,
                failure -> reply(ctx, failure.isEmpty() ? 200 : 503, failure.isEmpty()
                        ? Map.of("status", "ok", "node", info.node())
                        : Map.of("status", "failed", "node", info.node(), "reason", failure.get())),
                e -> error(ctx, e),
                bug -> internal(ctx, bug));
    }

    private String defaultService() {
        String known = defaultService;
        if (known == null) {
            known = volumes.services().stream().filter(ServiceInfo::isDefault).map(ServiceInfo::name).findFirst().orElse("");
            defaultService = known;
        }
        return known;
    }

    /** Inspects the named volume and checks the caller may use its service. */
    private VolumeView checked(RoutingContext c, VolumeRef ref) {
        VolumeView v = volumes.inspect(ref);
        access.check(c, v.service());
        return v;
    }

    private static Object optional(Optional<?> value) {
        return value.orElse(null);
    }

    private static String volumeId(RoutingContext c) {
        return Ids.volumeId(c.pathParam("id"));
    }

    private static String service(RoutingContext c) {
        String s = c.request().getParam("service");
        return s == null || s.isEmpty() ? null : Names.service(s);
    }

    private static VolumeRef ref(RoutingContext c) {
        return new VolumeRef(c.pathParam("name"), service(c));
    }

    private static int limit(RoutingContext c) {
        String l = c.request().getParam("limit");
        if (l == null || l.isEmpty()) {
            return 100;
        }
        try {
            int n = Integer.parseInt(l);
            if (n >= 1 && n <= 1000) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new InvalidArgument("limit must be a number from 1 to 1000, not '" + l + "'", "e.g. ?limit=50");
    }

    /** An event of a volume the caller may see (events of a removed volume: only on the root-only local socket). */
    private boolean eventVisible(RoutingContext c, dev.berth.core.model.Event e) {
        Optional<Volume> v = control == null ? Optional.empty() : control.volume(e.volumeId());
        return v.map(x -> access.allows(c, x.service())).orElse(access == Access.OPEN);
    }

    private static boolean flag(RoutingContext c, String name) {
        String v = c.request().getParam(name);
        if (v == null || v.isEmpty() || v.equals("false")) {
            return false;
        }
        if (v.equals("true")) {
            return true;
        }
        throw new InvalidArgument("query parameter " + name + "=" + v + " is not true or false", "use " + name + "=true");
    }

    /**
     * A read: answered when done (reads never become tasks); null means 204. The answer is
     * serialized on the virtual thread, so a large list never holds up the event loop.
     */
    private void read(RoutingContext ctx, Function<RoutingContext, Object> work) {
        blocking.run(() -> {
                    Object result = work.apply(ctx);
                    return result == null ? null : Json.buffer(result);
                },
                result -> reply(ctx, result == null ? 204 : 200, result),
                e -> error(ctx, e),
                bug -> internal(ctx, bug));
    }

    /**
     * A change: answered when done, or with 202 and a task id once it has run longer than the
     * configured wait; the task then holds the answer. The task is recorded (a store write, off the
     * event loop) before the 202 goes out, so any controller finds it right away; if it cannot be
     * recorded, no 202 is sent and the caller gets the answer itself when the change ends.
     */
    private void write(RoutingContext ctx, String operation, int okStatus, Function<RoutingContext, Object> work) {
        write(ctx, operation, okStatus, (c, progress) -> work.apply(c));
    }

    /**
     * As {@link #write(RoutingContext, String, int, Function)}, for a change that reports how far
     * its copy got: once it is a task, the latest report is written into the task about once a
     * second ({@link Tasks#PROGRESS_EVERY}), off the copying thread, which only sets a field.
     */
    private void write(RoutingContext ctx, String operation, int okStatus,
                       java.util.function.BiFunction<RoutingContext, dev.berth.core.spi.Progress, Object> work) {
        AtomicBoolean answered = new AtomicBoolean();
        CompletableFuture<String> task = new CompletableFuture<>();
        AtomicReference<dev.berth.core.task.TaskRecord.Progress> latest = new AtomicReference<>();
        AtomicReference<Long> progressTimer = new AtomicReference<>();
        AtomicBoolean ended = new AtomicBoolean();
        dev.berth.core.spi.Progress progress = (done, total) ->
                latest.set(new dev.berth.core.task.TaskRecord.Progress(Math.max(0, done), Math.max(0, total)));
        long timer = ctx.vertx().setTimer(Math.max(1, tasks.waitFor().toMillis()), t -> {
            if (answered.compareAndSet(false, true)) {
                blocking.run(() -> tasks.start(operation),
                        id -> {
                            task.complete(id);
                            reply(ctx, 202, Map.of("task", id, "state", "running", "href", "/v1/tasks/" + id));
                            if (!ended.get()) {
                                progressTimer.set(reportProgress(ctx, id, latest));
                                if (ended.get()) {
                                    stop(ctx, progressTimer); // the change ended meanwhile
                                }
                            }
                        },
                        task::completeExceptionally,
                        task::completeExceptionally);
            }
        });
        blocking.run(() -> work.apply(ctx, progress),
                result -> {
                    ended.set(true);
                    stop(ctx, progressTimer);
                    ctx.vertx().cancelTimer(timer);
                    int status = result == null ? 204 : okStatus;
                    if (answered.compareAndSet(false, true)) {
                        reply(ctx, status, result);
                    } else {
                        finish(ctx, task, id -> tasks.succeeded(id, status, result), () -> reply(ctx, status, result));
                    }
                },
                e -> {
                    ended.set(true);
                    stop(ctx, progressTimer);
                    ctx.vertx().cancelTimer(timer);
                    if (answered.compareAndSet(false, true)) {
                        error(ctx, e);
                    } else {
                        finish(ctx, task, id -> tasks.failed(id, e), () -> error(ctx, e));
                    }
                },
                bug -> {
                    ended.set(true);
                    stop(ctx, progressTimer);
                    ctx.vertx().cancelTimer(timer);
                    if (answered.compareAndSet(false, true)) {
                        internal(ctx, bug);
                    } else {
                        finish(ctx, task, id -> tasks.failed(id, new dev.berth.core.error.BackendFailure(
                                "internal error: " + bug, "see the server log")), () -> internal(ctx, bug));
                    }
                });
    }

    /** A periodic timer writing the newest progress report into task {@code id} when it changed. */
    private long reportProgress(RoutingContext ctx, String id, AtomicReference<dev.berth.core.task.TaskRecord.Progress> latest) {
        AtomicReference<dev.berth.core.task.TaskRecord.Progress> sent = new AtomicReference<>();
        AtomicBoolean writing = new AtomicBoolean();
        return ctx.vertx().setPeriodic(Tasks.PROGRESS_EVERY.toMillis(), t -> {
            var now = latest.get();
            if (now == null || now.equals(sent.get()) || !writing.compareAndSet(false, true)) {
                return;
            }
            blocking.run(() -> {
                        tasks.progress(id, now);
                        return null;
                    }, done -> {
                        sent.set(now);
                        writing.set(false);
                    },
                    e -> writing.set(false),
                    bug -> writing.set(false));
        });
    }

    private static void stop(RoutingContext ctx, AtomicReference<Long> timer) {
        Long id = timer.get();
        if (id != null) {
            ctx.vertx().cancelTimer(id);
        }
    }

    /**
     * The end of a change that outlived the wait: once its task is recorded, the outcome goes into
     * it (off the event loop); if the task could not be recorded, the caller is still waiting and
     * gets {@code answer}.
     */
    private void finish(RoutingContext ctx, CompletableFuture<String> task, Consumer<String> record, Runnable answer) {
        io.vertx.core.Context context = ctx.vertx().getOrCreateContext();
        task.whenComplete((id, notRecorded) -> context.runOnContext(v -> {
            if (notRecorded != null) {
                answer.run();
                return;
            }
            blocking.run(() -> {
                        record.accept(id);
                        return null;
                    }, done -> { },
                    e -> LOG.warning("cannot record the outcome of task " + id + ": " + e.fullMessage()),
                    bug -> { });
        }));
    }

    private static void internal(RoutingContext ctx, RuntimeException bug) {
        reply(ctx, 500, Map.of("error", Map.of("code", "internal", "message", "internal error: " + bug,
                "hint", "see the server log")));
    }

    static void error(RoutingContext ctx, BerthException e) {
        reply(ctx, RestErrors.status(e), RestErrors.body(e));
    }

    static void reply(RoutingContext ctx, int status, Object body) {
        if (ctx.response().ended()) {
            return;
        }
        var resp = ctx.response().setStatusCode(status);
        if (status == 401) {
            resp.putHeader("WWW-Authenticate", "Bearer");
        }
        if (status == 204 || body == null) {
            resp.end();
            return;
        }
        resp.putHeader("Content-Type", "application/json");
        if (body instanceof Buffer written) {
            resp.end(written);
        } else {
            resp.end(Json.write(body));
        }
    }
}
