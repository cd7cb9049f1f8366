package dev.berth.protocols.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.Unavailable;
import dev.berth.core.model.Node;
import dev.berth.core.node.NodeSession;
import dev.berth.protocols.http.LogCapture;
import dev.berth.protocols.rest.TestServer.Reply;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client with a list of controllers (real HTTP servers on loopback ports): it moves on when one
 * cannot be reached or answers 503, sticks to the one that answers, never sends a change that may
 * have been done to another one, and (as an agent) refuses a controller whose API is too old.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ControllerFailoverTest {
    static final String UNAVAILABLE = "{\"error\":{\"code\":\"unavailable\",\"message\":\"the state store lost its files\","
            + "\"hint\":\"restart with the state restored\"}}";
    static Vertx vertx;

    @BeforeAll
    static void up() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void down() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static String version(Object api, int minApi) {
        return "{\"version\":\"7.0\",\"role\":\"controller\",\"node\":\"c\",\"api\":"
                + (api instanceof String s ? "\"" + s + "\"" : api) + ",\"minApi\":" + minApi + "}";
    }

    /** A controller's answers to the calls these tests make. */
    static Reply controller(HttpServerRequest req, String version, int ttlMs) {
        String p = req.path();
        if (p.equals("/v1/version")) {
            return Reply.json(200, version);
        }
        if (p.endsWith("/register")) {
            return Reply.json(200, "{\"leaseTtlMs\":" + ttlMs + "}");
        }
        if (p.endsWith("/heartbeat")) {
            return Reply.json(204, null);
        }
        if (p.equals("/v1/volumes")) {
            return req.method() == HttpMethod.GET ? Reply.json(200, "[]") : Reply.json(201, "{}");
        }
        return Reply.json(404, "{\"error\":{\"code\":\"not_found\",\"message\":\"no route\",\"hint\":\"\"}}");
    }

    static Reply controller(HttpServerRequest req) {
        return controller(req, version(2, 1), 60_000);
    }

    static URI deadPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
    }

    static RestClient client(Object... servers) {
        return RestClient.tcp(java.util.Arrays.stream(servers)
                .map(s -> s instanceof TestServer t ? URI.create(t.url()) : (URI) s).toList(), null, null);
    }

    @Test
    void aControllerThatRefusesConnectionsIsSkippedForEveryMethod() throws Exception {
        try (TestServer b = new TestServer(vertx, ControllerFailoverTest::controller);
             RestClient c = client(deadPort(), b)) {
            assertEquals(200, c.call(RestClient.Method.GET, "/v1/volumes", null).status());
            // Not sent to the dead one (connection refused), so a POST may go to the next one too.
            assertEquals(201, c.call(RestClient.Method.POST, "/v1/volumes", new CreateVolumeBody("db", null, null, null, null)).status());
            assertEquals(1, b.hits("POST /v1/volumes"));
        }
    }

    @Test
    void a503MovesOnAndTheClientSticksToTheControllerThatAnswered() throws Exception {
        AtomicBoolean aFails = new AtomicBoolean(true);
        try (TestServer a = new TestServer(vertx, req -> aFails.get() ? Reply.json(503, UNAVAILABLE) : controller(req));
             TestServer b = new TestServer(vertx, ControllerFailoverTest::controller);
             RestClient c = client(a, b)) {
            for (int i = 0; i < 3; i++) {
                assertEquals(200, c.call(RestClient.Method.GET, "/v1/volumes", null).status());
            }
            assertEquals(1, a.allHits(), "a was asked once");
            assertEquals(3, b.hits("GET /v1/volumes"));
            aFails.set(false);
            c.call(RestClient.Method.GET, "/v1/volumes", null);
            assertEquals(1, a.allHits(), "no round-robin: the client stays with b while b answers");
            b.kill();
            assertEquals(200, c.call(RestClient.Method.GET, "/v1/volumes", null).status());
            assertEquals(2, a.hits("GET /v1/volumes"), "back to a once b is gone (its first GET was the 503)");
        }
    }

    @Test
    void aChangeThatMayHaveBeenDoneIsNotSentToTheNextController() throws Exception {
        try (TestServer a = new TestServer(vertx, req -> Reply.dropAfterReading());
             TestServer b = new TestServer(vertx, ControllerFailoverTest::controller)) {
            try (RestClient c = client(a, b)) {
                Unavailable e = assertThrows(Unavailable.class, () -> c.call(RestClient.Method.POST, "/v1/volumes",
                        new CreateVolumeBody("db", null, null, null, null)));
                assertTrue(e.getMessage().startsWith("lost the connection to Berth at " + a.url() + " after sending POST /v1/volumes")
                        && e.getMessage().endsWith("it may or may not have been done"), e.getMessage());
                assertTrue(e.hint().contains("look before retrying"), e.hint());
                assertEquals(1, a.hits("POST /v1/volumes"));
                assertEquals(0, b.allHits(), "not sent to b behind the caller's back");
                // A read may run twice: it goes on to b.
                assertEquals(200, c.call(RestClient.Method.GET, "/v1/volumes", null).status());
                assertEquals(1, b.hits("GET /v1/volumes"));
            }
            try (RemoteController agent = new RemoteController(client(a, b))) {
                agent.heartbeat("n"); // idempotent: moves on after the lost connection
                assertEquals(1, a.hits("POST /v1/control/nodes/n/heartbeat"));
                assertEquals(1, b.hits("POST /v1/control/nodes/n/heartbeat"));
            }
        }
    }

    @Test
    void a503KeepsItsMessageAndHintAndAllControllersDownSaysWhatEachSaid() throws Exception {
        try (TestServer a = new TestServer(vertx, req -> Reply.json(503, UNAVAILABLE));
             TestServer b = new TestServer(vertx, req -> Reply.json(503, UNAVAILABLE))) {
            try (RemoteController one = new RemoteController(client(a))) {
                Unavailable e = assertThrows(Unavailable.class, () -> one.list(null));
                assertEquals("the state store lost its files", e.getMessage());
                assertEquals("restart with the state restored", e.hint());
            }
            URI dead = deadPort();
            try (RemoteController all = new RemoteController(client(a, dead, b))) {
                Unavailable e = assertThrows(Unavailable.class, () -> all.list(null));
                assertTrue(e.getMessage().startsWith("no controller could answer GET /v1/volumes (3 tried): "
                        + a.url() + ": the state store lost its files; cannot reach Berth at " + dead
                        + ": connection refused"), e.getMessage());
                assertTrue(e.getMessage().endsWith(b.url() + ": the state store lost its files"), e.getMessage());
                assertTrue(e.hint().endsWith("; restart with the state restored"), e.hint());
            }
        }
    }

    @Test
    void anAgentRefusesAControllerWithAnOlderApiAndSaysWhatToDo() throws Exception {
        try (TestServer old = new TestServer(vertx, req -> controller(req, version("v1", 1), 60_000))) {
            RestClient c = client(old);
            BackendFailure e = assertThrows(BackendFailure.class, () -> RemoteController.forAgent(c, "9.9"));
            assertEquals("the controller at " + old.url() + " (Berth 7.0, API 1) is older than this agent (Berth 9.9, API "
                    + ApiVersion.CURRENT + ") needs: API " + ApiVersion.CURRENT + " or later", e.getMessage());
            assertTrue(e.hint().startsWith("upgrade the controllers first, then the agents"), e.hint());
            assertEquals(1, old.allHits(), "asked for its version, nothing else");
        }
        try (TestServer tooNew = new TestServer(vertx, req -> controller(req, version(ApiVersion.CURRENT + 3,
                ApiVersion.CURRENT + 1), 60_000))) {
            BackendFailure e = assertThrows(BackendFailure.class, () -> RemoteController.forAgent(client(tooNew), "9.9"));
            assertTrue(e.getMessage().contains("no longer serves clients below API " + (ApiVersion.CURRENT + 1)), e.getMessage());
            assertEquals("upgrade this agent to Berth 7.0 (docs/api.md, \"Versions\")", e.hint());
        }
    }

    @Test
    void anAgentWorksWithAControllerOfItsOwnOrANewerApiAndSkipsAnOldOneInTheList() throws Exception {
        for (int api : new int[] {ApiVersion.CURRENT, ApiVersion.CURRENT + 1}) {
            try (TestServer s = new TestServer(vertx, req -> controller(req, version(api, 1), 60_000));
                 RemoteController agent = RemoteController.forAgent(client(s), "9.9")) {
                assertEquals(60, agent.register(new Node("n", "", "9.9")).toSeconds());
            }
        }
        try (TestServer old = new TestServer(vertx, req -> controller(req, version(1, 1), 60_000));
             TestServer current = new TestServer(vertx, ControllerFailoverTest::controller);
             RemoteController agent = RemoteController.forAgent(client(old, current), "9.9")) {
            agent.register(new Node("n", "", "9.9"));
            agent.heartbeat("n");
            assertEquals(1, old.allHits(), "the old one was asked for its version only");
            assertEquals(1, current.hits("POST /v1/control/nodes/n/register"));
        }
    }

    @Test
    void theHeartbeatGoesToTheNextControllerWhenItsControllerDies() throws Exception {
        int ttlMs = 900; // a heartbeat every 300 ms
        try (LogCapture log = new LogCapture();
             TestServer a = new TestServer(vertx, req -> controller(req, version(2, 1), ttlMs));
             TestServer b = new TestServer(vertx, req -> controller(req, version(2, 1), ttlMs));
             RemoteController agent = RemoteController.forAgent(client(a, b), "9.9");
             NodeSession session = new NodeSession(agent, new Node("n", "", "9.9"))) {
            session.start();
            await(() -> a.hits("POST /v1/control/nodes/n/heartbeat") >= 2);
            a.kill();
            await(() -> b.hits("POST /v1/control/nodes/n/heartbeat") >= 3);
            // Every heartbeat succeeded: the first one after a's death already went to b, which is
            // within one TTL by construction (heartbeats run every TTL/3).
            assertEquals(List.of(), log.at(Level.WARNING, "heartbeat failed"));
            assertEquals(List.of(), log.at(Level.WARNING, "lost its lease"));
            assertEquals(1, a.hits("POST /v1/control/nodes/n/register"));
            assertEquals(0, b.hits("POST /v1/control/nodes/n/register"), "b took over the heartbeats, no new registration");
        }
    }

    @Test
    void aListNamesEachControllerOnce() {
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> RestClient.tcp(List.of(
                URI.create("http://127.0.0.1:7979"), URI.create("http://127.0.0.1:7979/")), null, null));
        assertEquals("server http://127.0.0.1:7979 is listed twice", e.getMessage());
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not reached within 60 s");
            }
            Thread.sleep(20);
        }
    }
}
