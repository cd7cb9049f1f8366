package dev.berth.protocols.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.model.ContentSource;
import dev.berth.core.service.CreateSnapshot;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.SnapshotPolicy;
import dev.berth.core.service.SnapshotRef;
import dev.berth.core.service.VolumeRef;
import dev.berth.protocols.http.Blocking;
import dev.berth.protocols.http.HttpGuard;
import dev.berth.protocols.http.HttpLimits;
import dev.berth.protocols.http.UnixSocketServer;
import dev.berth.protocols.rest.TestServer.Reply;
import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's view of the controller's snapshot, expansion and copy routes, on a real HTTP server
 * that records what arrives: paths, queries (a reference escaped into one segment) and bodies
 * (frozenBy carried), and a remove's list of snapshots read back.
 */
class RemoteSnapshotsTest {
    static final String SNAPSHOT = "{\"id\":\"i\",\"name\":\"s\",\"volumeId\":\"v1\",\"volumeName\":\"db\",\"service\":\"local\","
            + "\"driver\":\"loop\",\"sizeBytes\":1,\"size\":\"1\",\"fsType\":\"ext4\",\"method\":\"copy\","
            + "\"consistency\":\"frozen\",\"created\":\"2026-12-02T12:00:00Z\",\"volumeExists\":true,\"details\":{}}";
    static final String VOLUME = "{\"id\":\"v2\",\"name\":\"c\",\"service\":\"local\",\"sizeBytes\":1,\"epoch\":0,\"mountRefs\":[]}";

    @TempDir
    Path dir;
    final Vertx vertx = Vertx.vertx();
    final Map<String, String> bodies = new ConcurrentHashMap<>();

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void everyCallReachesItsRouteWithItsFields() throws Exception {
        try (TestServer server = new TestServer(vertx, req -> {
                 bodies.put(req.method() + " " + req.uri(), "");
                 return switch (req.method() + " " + req.path()) {
                     case "POST /v1/snapshots", "GET /v1/snapshots/local%2Fdb%40s" -> Reply.json(201, SNAPSHOT);
                     case "GET /v1/snapshots" -> Reply.json(200, "[" + SNAPSHOT + "]");
                     case "DELETE /v1/volumes/db" -> req.query() != null && req.query().contains("snapshots=delete")
                             ? Reply.json(200, "{\"removedSnapshots\":[\"db@s\",\"db@t\"]}") : Reply.json(204, null);
                     default -> Reply.json(200, VOLUME);
                 };
             });
             RemoteController remote = new RemoteController(RestClient.tcp(URI.create(server.url()), null, null))) {
            assertEquals("s", remote.snapshot(new CreateSnapshot(new VolumeRef("db", "local"), "s", "n1"),
                    dev.berth.core.spi.Progress.NONE).name());
            assertEquals(1, remote.snapshots(new VolumeRef("db", "local")).size());
            assertEquals("db", remote.inspectSnapshot(SnapshotRef.parse("local/db@s")).volumeName());
            assertEquals(List.of("db@s", "db@t"), remote.remove(new VolumeRef("db", null), SnapshotPolicy.DELETE));
            assertEquals(List.of(), remote.remove(new VolumeRef("db", null), SnapshotPolicy.KEEP));
            remote.expand(new VolumeRef("db", "local"), "2G");
            remote.create(new CreateVolume("c", null, null, null, Map.of(), ContentSource.volume("db"), "n1"),
                    dev.berth.core.spi.Progress.NONE);
            assertEquals(1, server.hits("POST /v1/snapshots"));
            assertEquals(1, server.hits("GET /v1/snapshots"));
            assertEquals(1, server.hits("GET /v1/snapshots/local%2Fdb%40s"), "the reference is one escaped segment");
            assertEquals(2, server.hits("DELETE /v1/volumes/db"));
            assertEquals(1, server.hits("POST /v1/volumes/db/expand"));
            assertEquals(1, server.hits("POST /v1/volumes"));
            assertTrue(bodies.containsKey("GET /v1/snapshots?volume=db&service=local"), bodies.keySet().toString());
            assertTrue(bodies.containsKey("DELETE /v1/volumes/db?snapshots=keep"), bodies.keySet().toString());
        }
    }

    @Test
    void theBodiesCarryFrozenByAndTheSource() throws Exception {
        Map<String, String> seen = new ConcurrentHashMap<>();
        var captured = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
            seen.put(req.path(), b.toString());
            req.response().setStatusCode(201).putHeader("Content-Type", "application/json")
                    .end(req.path().equals("/v1/snapshots") ? SNAPSHOT : VOLUME);
        }));
        captured.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        try (RemoteController remote = new RemoteController(RestClient.tcp(
                URI.create("http://127.0.0.1:" + captured.actualPort()), null, null))) {
            remote.snapshot(new CreateSnapshot(new VolumeRef("db", null), "s", "n1"), dev.berth.core.spi.Progress.NONE);
            remote.create(new CreateVolume("c", null, "2G", null, Map.of(), ContentSource.snapshot("db@s"), "n1"),
                    dev.berth.core.spi.Progress.NONE);
        } finally {
            captured.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        var json = dev.berth.protocols.http.Json.MAPPER;
        var snap = json.readTree(seen.get("/v1/snapshots"));
        assertEquals("db", snap.path("volume").asText());
        assertEquals("n1", snap.path("frozenBy").asText());
        var create = json.readTree(seen.get("/v1/volumes"));
        assertEquals("db@s", create.path("fromSnapshot").asText());
        assertTrue(create.path("fromVolume").isNull(), create.toString());
        assertEquals("n1", create.path("frozenBy").asText());
        assertEquals("2G", create.path("size").asText());
    }

    @Test
    void anAgentsOwnSocketRefusesFrozenBy() throws Exception {
        Path socket = dir.resolve("agent.sock");
        Blocking blocking = new Blocking();
        // No controller behind it (control null), as on an agent; the refusal comes before any volume work.
        RestApi api = new RestApi(null, null, ServerInfo.of("test", "agent", "n1"), blocking,
                new Tasks(Duration.ofSeconds(30), Duration.ofMinutes(1), Clock.systemUTC()), Access.OPEN);
        try (var server = UnixSocketServer.start(vertx, socket, PosixFilePermissions.fromString("rw-------"), null,
                api.router(vertx, null), 1, new HttpGuard(socket.toString(),
                        new HttpLimits(Duration.ofSeconds(10), Duration.ofSeconds(60), 100), RestErrors::send));
             RestClient client = RestClient.unix(socket)) {
            InvalidArgument e = assertThrows(InvalidArgument.class, () -> client.call(RestClient.Method.POST, "/v1/snapshots",
                    Map.of("volume", "db", "name", "s", "frozenBy", "n1"), RemoteController.SNAPSHOT_TYPE));
            assertTrue(e.getMessage().contains("frozenBy is set by Berth's agents"), e.getMessage());
            InvalidArgument policy = assertThrows(InvalidArgument.class, () -> client.call(RestClient.Method.DELETE,
                    "/v1/volumes/db?snapshots=some", null, RemoteController.SNAPSHOT_TYPE));
            assertTrue(policy.getMessage().contains("snapshots=some"), policy.getMessage());
        } finally {
            blocking.close();
        }
    }
}
