package dev.berth.protocols.docker;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.error.Unavailable;
import dev.berth.core.model.MountRefs;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.service.VolumeView;
import dev.berth.core.service.Volumes;
import dev.berth.protocols.http.Blocking;
import dev.berth.protocols.http.ErrorReply;
import dev.berth.protocols.http.HttpGuard;
import dev.berth.protocols.http.HttpLimits;
import dev.berth.protocols.http.Json;
import dev.berth.protocols.http.RouteErrors;
import dev.berth.protocols.http.UnixSocketServer;
import dev.berth.protocols.rest.RestErrors;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Docker's legacy volume plugin protocol (docs/docker.md): {@code POST /Plugin.Activate} and
 * {@code POST /VolumeDriver.*}. Routes only translate the wire format to core calls; the rules
 * (ref counting per mount ID, claims, formatting) live in the core. Docker's mount IDs are kept
 * as references {@code docker:<ID>}, apart from those of REST and CLI callers (see MountRefs).
 *
 * <p>Every reply is JSON. A failure is {@code {"Err": "<message> (<hint>)"}} with the HTTP status
 * the REST API uses for that kind of error (400 bad input, 404 unknown volume, 409 busy or held
 * elsewhere, 500 host failure): dockerd only reads {@code Err} on any non-200, and curl users see
 * the kind.
 */
public final class DockerPluginApi {
    private static final Logger LOG = Logger.getLogger(DockerPluginApi.class.getName());
    /** Bodies beyond this are refused before parsing (labels are bounded well below it). */
    public static final int MAX_BODY = 256 * 1024;
    /** What dockerd asks for in Accept; dockerd itself ignores the reply's Content-Type. */
    static final String CONTENT_TYPE = "application/vnd.docker.plugins.v1.2+json";
    static final String CALLS = "/Plugin.Activate, /VolumeDriver.{Create,Remove,Mount,Unmount,Path,Get,List,Capabilities}";
    private static final byte[] ACTIVATE = json(Map.of("Implements", List.of("VolumeDriver")));
    // "global": the volume is the same from every host (what REX-Ray and Trident answer).
    private static final byte[] CAPABILITIES = json(Map.of("Capabilities", Map.of("Scope", "global")));
    private static final Map<String, Object> OK = Map.of();
    private static final Set<String> PATHS = Set.of("/Plugin.Activate", "/VolumeDriver.Create", "/VolumeDriver.Remove",
            "/VolumeDriver.Mount", "/VolumeDriver.Unmount", "/VolumeDriver.Path", "/VolumeDriver.Get",
            "/VolumeDriver.List", "/VolumeDriver.Capabilities");

    private final Volumes volumes;
    private final String node;
    private final Blocking blocking;

    /**
     * @param node this node's id: a volume's Mountpoint is reported only when it is mounted here
     */
    public DockerPluginApi(Volumes volumes, String node, Blocking blocking) {
        this.volumes = volumes;
        this.node = node;
        this.blocking = blocking;
    }

    /** Serves the protocol on {@code socket} (mode 0660, group {@code group} when it exists), default limits. */
    public UnixSocketServer serve(Vertx vertx, Path socket, String group) {
        return serve(vertx, socket, group, HttpLimits.DEFAULT);
    }

    /** As above, with the listener's connection limits. */
    public UnixSocketServer serve(Vertx vertx, Path socket, String group, HttpLimits limits) {
        // One server per core on the socket: HTTP handling spreads over event loops like the work does.
        UnixSocketServer server = UnixSocketServer.start(vertx, socket, PosixFilePermissions.fromString("rw-rw----"),
                group == null || group.isBlank() ? null : group, router(vertx), Runtime.getRuntime().availableProcessors(),
                new HttpGuard(socket.toString(), limits, DockerPluginApi::sendErr));
        // dockerd gives up looking for a plugin after ~30 s; the log says how close we are to that.
        LOG.info("Docker volume plugin ready on " + socket + " ("
                + ManagementFactory.getRuntimeMXBean().getUptime() + " ms after the JVM started)");
        return server;
    }

    public Router router(Vertx vertx) {
        Router r = Router.router(vertx);
        r.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY));
        // Activate and Capabilities are constant: answered on the event loop.
        r.post("/Plugin.Activate").handler(ctx -> send(ctx, 200, ACTIVATE));
        r.post("/VolumeDriver.Capabilities").handler(ctx -> {
            try {
                PluginBodies.any(body(ctx));
                send(ctx, 200, CAPABILITIES);
            } catch (BerthException e) {
                fail(ctx, "Capabilities", e);
            }
        });
        r.post("/VolumeDriver.Create").handler(ctx -> call(ctx, "Create", body -> {
            PluginBodies.Create req = PluginBodies.create(body);
            // The copying form: a volume copied from one mounted here is frozen here around the copy.
            VolumeView v = volumes.create(CreateOptions.request(req.name(), req.opts()), dev.berth.core.spi.Progress.NONE);
            LOG.info("docker: created " + v.name() + " (" + v.size() + ", " + v.fsType() + ", service " + v.service() + ")");
            return OK;
        }));
        r.post("/VolumeDriver.Remove").handler(ctx -> call(ctx, "Remove", body -> {
            String name = PluginBodies.named(body).name();
            try {
                volumes.remove(VolumeRef.of(name), false);
            } catch (NotFound gone) {
                // Idempotent, like CSI's DeleteVolume: dockerd only removes volumes it knew, and a
                // volume already removed through Berth must not stay stuck in dockerd's list.
                LOG.info("docker: remove " + name + ": already gone");
            }
            return OK;
        }));
        r.post("/VolumeDriver.Mount").handler(ctx -> call(ctx, "Mount", body -> {
            PluginBodies.Mount req = PluginBodies.mount(body);
            String path = volumes.mount(VolumeRef.of(req.name()), MountRefs.docker(req.id()));
            LOG.info("docker: mounted " + req.name() + " for " + shortId(req.id()) + " at " + path);
            return Map.of("Mountpoint", path);
        }));
        r.post("/VolumeDriver.Unmount").handler(ctx -> call(ctx, "Unmount", body -> {
            PluginBodies.Mount req = PluginBodies.mount(body);
            volumes.unmount(VolumeRef.of(req.name()), MountRefs.docker(req.id()));
            LOG.info("docker: unmounted " + req.name() + " for " + shortId(req.id()));
            return OK;
        }));
        r.post("/VolumeDriver.Path").handler(ctx -> call(ctx, "Path", body -> {
            String name = PluginBodies.named(body).name();
            // Not mounted here is no error: dockerd asks again after Mount.
            return Map.of("Mountpoint", volumes.path(VolumeRef.of(name)).orElse(""));
        }));
        r.post("/VolumeDriver.Get").handler(ctx -> call(ctx, "Get", body -> {
            String name = PluginBodies.named(body).name();
            // An unknown name must be an Err: a Get without one makes dockerd skip Create.
            return Map.of("Volume", PluginVolume.detailed(volumes.inspect(VolumeRef.of(name)), node));
        }));
        r.post("/VolumeDriver.List").handler(ctx -> call(ctx, "List", body -> {
            PluginBodies.any(body);
            return ListReply.write(volumes.list(null), node);
        }));
        // Anything else: a known call with another method, or no such call. Both answer JSON.
        Handler<RoutingContext> noCall = ctx -> {
            if (PATHS.contains(ctx.request().path())) {
                fail(ctx, "route", 405, new InvalidArgument("method " + ctx.request().method() + " is not allowed on "
                        + ctx.request().path(), "plugin calls are POST requests"));
            } else {
                fail(ctx, "route", 404, new NotFound("no plugin call " + ctx.request().method() + " "
                        + ctx.request().path(), "Berth serves POST " + CALLS));
            }
        };
        r.route().last().handler(noCall);
        // What Vert.x Web refuses before any route (OPTIONS *, a bad %-escape…) answers {"Err"} too.
        RouteErrors.install(r, DockerPluginApi::sendErr, "Berth serves POST " + CALLS);
        r.errorHandler(404, noCall);
        r.errorHandler(413, ctx -> fail(ctx, "route", 413, new InvalidArgument("the request body is larger than "
                + MAX_BODY + " bytes", "send a smaller body")));
        return r;
    }

    /**
     * Runs a call on a virtual thread (core calls may run host tools and write the store) and
     * writes its reply, serialized off the event loop so that a large List does not stall others.
     */
    private void call(RoutingContext ctx, String what, Function<String, Object> work) {
        String body = body(ctx);
        blocking.run(() -> json(work.apply(body)),
                json -> send(ctx, 200, json),
                e -> fail(ctx, what, e),
                bug -> send(ctx, 500, json(Map.of("Err", "internal error in Berth during " + what + ": " + bug
                        + " (see the Berth log)"))));
    }

    /** A reply as UTF-8 JSON; a byte[] is a reply already written (List). */
    private static byte[] json(Object reply) {
        if (reply instanceof byte[] written) {
            return written;
        }
        try {
            return Json.MAPPER.writeValueAsBytes(reply);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + reply.getClass(), e);
        }
    }

    private void fail(RoutingContext ctx, String what, BerthException e) {
        fail(ctx, what, RestErrors.status(e), e);
    }

    private void fail(RoutingContext ctx, String what, int status, BerthException e) {
        // A Get of an unknown name is how dockerd asks before every create: not worth a log line.
        Level level = e instanceof NotFound && what.equals("Get") ? Level.FINE : Level.INFO;
        String err = e instanceof Unavailable && RETRY.containsKey(what) ? e.fullMessage() + "; " + RETRY.get(what)
                : e.fullMessage();
        LOG.log(level, () -> "docker: " + what + " refused: " + err);
        send(ctx, status, json(Map.of("Err", err)));
    }

    /**
     * What the Docker user retries when Berth (its state store, or every controller) cannot be
     * reached: dockerd shows only Err, so it says which command to run again once Berth answers.
     */
    private static final Map<String, String> RETRY = Map.of(
            "Create", "retry `docker volume create` once Berth answers (a create is safe to repeat)",
            "Remove", "retry `docker volume rm` once Berth answers",
            "Mount", "the container did not start: start it again once Berth answers",
            "Unmount", "Docker's mount is still counted: start and stop the container again once Berth answers, "
                    + "so that Docker unmounts it",
            "Path", "retry the docker command once Berth answers",
            "Get", "retry the docker command once Berth answers",
            "List", "retry `docker volume ls` once Berth answers");

    /** An {@link ErrorReply}: {@code {"Err": "<message> (<hint>)"}} with {@code status}. */
    static void sendErr(HttpServerResponse response, int status, BerthException e) {
        response.setStatusCode(status).putHeader("Content-Type", CONTENT_TYPE)
                .end(Buffer.buffer(json(Map.of("Err", e.fullMessage()))));
    }

    private static String body(RoutingContext ctx) {
        return ctx.body() == null || ctx.body().buffer() == null ? "" : ctx.body().asString();
    }

    private static void send(RoutingContext ctx, int status, byte[] json) {
        if (!ctx.response().ended()) {
            ctx.response().setStatusCode(status).putHeader("Content-Type", CONTENT_TYPE).end(Buffer.buffer(json));
        }
    }

    private static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }
}
