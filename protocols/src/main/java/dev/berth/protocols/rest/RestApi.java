package dev.berth.protocols.rest;

import dev.berth.core.error.BerthException;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.service.Volumes;
import dev.berth.protocols.http.Blocking;
import dev.berth.protocols.http.Json;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Map;
import java.util.function.Function;

/**
 * REST API v1 (docs/api.md): volumes and services over JSON. Routes only translate HTTP to core
 * calls and core errors to HTTP; all rules live in the core.
 */
public final class RestApi {
    /** Request bodies beyond this are refused before parsing. */
    public static final int MAX_BODY = 64 * 1024;
    private final Volumes volumes;
    private final ServerInfo info;
    private final Blocking blocking;

    public RestApi(Volumes volumes, ServerInfo info, Blocking blocking) {
        this.volumes = volumes;
        this.info = info;
        this.blocking = blocking;
    }

    public Router router(Vertx vertx) {
        Router r = Router.router(vertx);
        r.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY));
        r.get("/v1/version").handler(ctx -> reply(ctx, 200, info));
        r.get("/v1/health").handler(ctx -> reply(ctx, 200, Map.of("status", "ok", "node", info.node())));
        r.get("/v1/services").handler(ctx -> call(ctx, 200, c -> volumes.services()));
        r.get("/v1/volumes").handler(ctx -> call(ctx, 200, c -> volumes.list(service(c))));
        r.post("/v1/volumes").handler(ctx -> call(ctx, 201, c -> {
            CreateVolumeBody b = Json.read(c.body().asString(), CreateVolumeBody.class, CreateVolumeBody.EXAMPLE);
            return volumes.create(new CreateVolume(b.name(), b.service(), b.size(), b.fsType(), b.labels()));
        }));
        r.get("/v1/volumes/:name").handler(ctx -> call(ctx, 200, c -> volumes.inspect(ref(c))));
        r.delete("/v1/volumes/:name").handler(ctx -> call(ctx, 204, c -> {
            volumes.remove(ref(c), flag(c, "force"));
            return null;
        }));
        r.post("/v1/volumes/:name/attach").handler(ctx -> call(ctx, 200, c -> volumes.attach(ref(c))));
        r.post("/v1/volumes/:name/detach").handler(ctx -> call(ctx, 200, c -> volumes.detach(ref(c), flag(c, "force"))));
        r.post("/v1/volumes/:name/mount").handler(ctx -> call(ctx, 200, c -> {
            VolumeRef ref = ref(c);
            MountBody b = Json.read(c.body().asString(), MountBody.class, MountBody.EXAMPLE);
            return Map.of("path", volumes.mount(ref, b.ref()));
        }));
        r.post("/v1/volumes/:name/unmount").handler(ctx -> call(ctx, 204, c -> {
            VolumeRef ref = ref(c);
            MountBody b = Json.read(c.body().asString(), MountBody.class, MountBody.EXAMPLE);
            volumes.unmount(ref, b.ref());
            return null;
        }));
        r.get("/v1/volumes/:name/path").handler(ctx -> call(ctx, 200, c -> Map.of("path",
                volumes.path(ref(c)).orElseThrow(() -> new InvalidArgument("volume " + c.pathParam("name")
                        + " is not mounted on this node", "mount it first: berth volume mount " + c.pathParam("name"))))));
        r.route().last().handler(ctx -> error(ctx, new dev.berth.core.error.NotFound(
                "no route " + ctx.request().method() + " " + ctx.request().path(), "see docs/api.md for the routes")));
        r.errorHandler(413, ctx -> error(ctx, new InvalidArgument("the request body is larger than "
                + MAX_BODY + " bytes", "send a smaller body")));
        r.errorHandler(405, ctx -> error(ctx, new InvalidArgument("method " + ctx.request().method()
                + " is not allowed on " + ctx.request().path(), "see docs/api.md for the routes")));
        return r;
    }

    private static String service(RoutingContext c) {
        String s = c.request().getParam("service");
        return s == null || s.isEmpty() ? null : s;
    }

    private static VolumeRef ref(RoutingContext c) {
        return new VolumeRef(c.pathParam("name"), service(c));
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

    private void call(RoutingContext ctx, int okStatus, Function<RoutingContext, Object> work) {
        blocking.run(() -> work.apply(ctx),
                result -> reply(ctx, result == null ? 204 : okStatus, result),
                e -> error(ctx, e),
                bug -> reply(ctx, 500, Map.of("error", Map.of("code", "internal", "message",
                        "internal error: " + bug, "hint", "see the server log"))));
    }

    static void error(RoutingContext ctx, BerthException e) {
        reply(ctx, RestErrors.status(e), RestErrors.body(e));
    }

    static void reply(RoutingContext ctx, int status, Object body) {
        var resp = ctx.response().setStatusCode(status);
        if (status == 204 || body == null) {
            resp.end();
            return;
        }
        resp.putHeader("Content-Type", "application/json").end(Json.write(body));
    }
}
