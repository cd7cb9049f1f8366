package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.app.testing.Cli;
import dev.berth.app.testing.LocalBerth;
import dev.berth.app.testing.Sys;
import dev.berth.core.model.Attachment;
import dev.berth.core.model.Claim;
import dev.berth.core.model.Grant;
import dev.berth.core.model.Node;
import dev.berth.core.model.Volume;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.service.VolumeView;
import dev.berth.core.spi.ControlPlane;
import dev.berth.protocols.http.Json;
import dev.berth.protocols.rest.RemoteController;
import dev.berth.protocols.rest.RestClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Strict in, tolerant out, against a real server: a real all-in-one Berth answers through a proxy
 * (a Vert.x HTTP server in this test) that adds fields this client does not know to every answer
 * object, at the top and nested — what a controller of a later version does. Every call the agent
 * makes (RemoteController) and the CLI's {@code volume ls/inspect} work through it; the server
 * still refuses a request with a field it does not know.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TolerantAnswersIT {
    /** Fields whose objects are maps (their keys are data, not fields): left as they are. */
    private static final Set<String> MAPS = Set.of("labels", "details");
    /** Maps whose values are records: those get the extra fields, the maps themselves do not. */
    private static final Set<String> MAPS_OF_RECORDS = Set.of("attachments", "claims");

    @TempDir
    Path dir;
    LocalBerth berth;
    Vertx vertx;
    HttpServer proxy;
    URI uri;

    @BeforeEach
    void up() throws Exception {
        berth = LocalBerth.start(dir, "host1", Map.of());
        vertx = Vertx.vertx();
        HttpClientAgent upstream = vertx.createHttpClient();
        SocketAddress socket = SocketAddress.domainSocketAddress(dir.resolve("berth.sock").toString());
        proxy = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
            RequestOptions o = new RequestOptions().setServer(socket).setHost("localhost").setPort(80).setMethod(req.method())
                    .setURI(req.uri());
            if (req.getHeader("Content-Type") != null) {
                o.putHeader("Content-Type", req.getHeader("Content-Type"));
            }
            upstream.request(o).compose(r -> r.send(body)).compose(resp -> resp.body().map(b -> {
                req.response().setStatusCode(resp.statusCode());
                if (b.length() == 0) {
                    req.response().end();
                } else {
                    req.response().putHeader("Content-Type", "application/json").end(Buffer.buffer(withMore(b.toString())));
                }
                return null;
            })).onFailure(e -> req.response().setStatusCode(502).end(e.toString()));
        }));
        proxy.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        uri = URI.create("http://127.0.0.1:" + proxy.actualPort());
    }

    @AfterEach
    void down() throws Exception {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        if (berth != null) {
            berth.close();
        }
        Sys.cleanUp(dir);
    }

    /** The real answer with fields added to every object that is a record (top level and nested). */
    private static String withMore(String answer) {
        try {
            JsonNode tree = Json.MAPPER.readTree(answer);
            grow(tree);
            return Json.MAPPER.writeValueAsString(tree);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("not JSON: " + answer, e);
        }
    }

    private static void grow(JsonNode node) {
        if (node instanceof ArrayNode a) {
            a.forEach(TolerantAnswersIT::grow);
        } else if (node instanceof ObjectNode o) {
            o.properties().forEach(f -> {
                if (MAPS_OF_RECORDS.contains(f.getKey())) {
                    f.getValue().forEach(TolerantAnswersIT::grow);
                } else if (!MAPS.contains(f.getKey()) && !f.getKey().equals("refs")) {
                    grow(f.getValue());
                }
            });
            o.put("addedInApi9", "a field this client does not know");
            o.putObject("addedNested").put("depth", 2).putArray("items").addObject().put("deeper", true);
        }
    }

    @Test
    void everyCallOfTheAgentAndTheCliWorksWhenTheServerAddsFields() {
        RestClient raw = RestClient.tcp(uri, null, null);
        assertTrue(raw.call(RestClient.Method.GET, "/v1/services", null).body().contains("\"addedInApi9\""),
                "the proxy adds fields");
        raw.close();
        try (RemoteController rc = RemoteController.forAgent(RestClient.tcp(uri, null, null), "test")) {
            VolumeRef ref = new VolumeRef("tolerant", "scratch");
            VolumeView created = rc.create(new CreateVolume("tolerant", "scratch", "16M", null, Map.of("app", "x")));
            assertEquals(Map.of("app", "x"), created.labels());
            assertEquals(created.id(), rc.inspect(ref).id());
            assertEquals(List.of("tolerant"), rc.list("scratch").stream().map(VolumeView::name).toList());
            assertTrue(rc.services().stream().anyMatch(s -> s.name().equals("scratch")));
            assertEquals(java.time.Duration.ofSeconds(5), rc.register(new Node("n2", "n2.example", "test")));
            rc.heartbeat("n2");
            assertTrue(rc.nodes().stream().anyMatch(n -> n.id().equals("n2") && n.state().equals("alive")));

            Volume v = rc.resolve(ref);
            assertEquals(v, rc.volume(v.id()).orElseThrow());
            assertTrue(rc.volumes().contains(v));
            assertTrue(rc.claimOf(v.id()).isEmpty());
            Grant claim = rc.claim(v.id(), "n2", true, false);
            assertEquals(claim.epoch(), rc.claimOf(v.id()).orElseThrow().epoch());
            Attachment att = new Attachment(v.id(), "/srv/n2/dirs/x", false, null);
            rc.putAttachment(claim, att);
            assertEquals(att, rc.attachment("n2", v.id()).orElseThrow());
            rc.recordMount(claim, att.withMountPoint("/srv/n2/volumes/tolerant"), "r1", null);
            rc.addRef(claim, "r2");
            assertEquals(Set.of("r1", "r2"), Set.copyOf(rc.refs("n2", v.id())));
            assertEquals(1, rc.removeRef("n2", v.id(), "r2"));
            ControlPlane.NodeState state = rc.nodeState("n2");
            assertEquals(att.withMountPoint("/srv/n2/volumes/tolerant"), state.attachments().get(v.id()));
            assertEquals(List.of("r1"), state.refs().get(v.id()));
            assertEquals(claim, state.claims().get(v.id()));
            rc.removeAllRefs("n2", v.id());
            rc.deleteAttachment("n2", v.id());
            assertTrue(rc.attachment("n2", v.id()).isEmpty());
            rc.release(claim);

            // The CLI, through the same client code, on --host.
            Cli.Result ls = Cli.raw("volume", "ls", "--host", uri.toString());
            assertEquals(0, ls.code(), ls.toString());
            assertTrue(ls.out().contains("tolerant"), ls.out());
            Cli.Result inspect = Cli.raw("volume", "inspect", "tolerant", "--service", "scratch", "--host", uri.toString(),
                    "-o", "json");
            assertEquals(0, inspect.code(), inspect.toString());
            assertTrue(inspect.out().contains("\"id\" : \"" + v.id() + "\"") && !inspect.out().contains("addedInApi9"),
                    inspect.out());
            // An error answer with extra fields keeps its kind, message and hint.
            Cli.Result missing = Cli.raw("volume", "inspect", "nope", "--host", uri.toString());
            assertEquals(3, missing.code(), missing.toString());

            rc.remove(ref);
        }
        // Strict in: a request field the server does not know is refused, directly and through the proxy.
        for (RestClient c : List.of(RestClient.unix(dir.resolve("berth.sock")), RestClient.tcp(uri, null, null))) {
            try (c) {
                RestClient.Response r = c.call(RestClient.Method.POST, "/v1/volumes",
                        Map.of("name", "strict", "service", "scratch", "sizeGiB", 1));
                assertEquals(400, r.status(), r.body());
                assertTrue(r.body().contains("unknown field 'sizeGiB' in the request body"), r.body());
            }
        }
    }
}
