package dev.berth.protocols.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.core.error.InvalidArgument;
import dev.berth.protocols.docker.DockerPluginApi;
import dev.berth.protocols.rest.Access;
import dev.berth.protocols.rest.RestApi;
import dev.berth.protocols.rest.RestErrors;
import dev.berth.protocols.rest.ServerInfo;
import dev.berth.protocols.rest.Tasks;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The limits and answers of a listener, on real unix sockets with the real REST and Docker routers:
 * header, body and idle timeouts, the connection cap, HTTP/1.x only, every odd request in the
 * protocol's own error shape, client disconnects at FINE. Timing assertions are bounds ("closed
 * within 10x the timeout"), never exact times.
 */
class HttpGuardTest {
    static final Duration SHORT = Duration.ofMillis(300);
    static final Duration LONG = Duration.ofSeconds(30);
    static final String ACTIVATE = "POST /Plugin.Activate HTTP/1.1\r\nHost: \r\nContent-Length: 0\r\n\r\n";

    @TempDir
    Path dir;
    final Vertx vertx = Vertx.vertx();
    final Blocking blocking = new Blocking();
    final List<AutoCloseable> servers = new ArrayList<>();
    LogCapture logs;

    @BeforeEach
    void capture() {
        logs = new LogCapture();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable s : servers) {
            s.close();
        }
        blocking.close();
        vertx.close().toCompletionStage().toCompletableFuture().get();
        logs.close();
    }

    Path docker(HttpLimits limits) {
        Path socket = dir.resolve("docker-" + servers.size() + ".sock");
        servers.add(new DockerPluginApi(null, "n", blocking).serve(vertx, socket, null, limits));
        return socket;
    }

    Path rest(HttpLimits limits) {
        Path socket = dir.resolve("rest-" + servers.size() + ".sock");
        RestApi api = new RestApi(null, null, ServerInfo.of("test", "all-in-one", "n"), blocking,
                new Tasks(Duration.ofSeconds(30), Duration.ofMinutes(1), Clock.systemUTC()), Access.OPEN);
        servers.add(UnixSocketServer.start(vertx, socket, PosixFilePermissions.fromString("rw-------"), null,
                api.router(vertx, null), 1, new HttpGuard(socket.toString(), limits, RestErrors::send)));
        return socket;
    }

    static Duration tenTimes(Duration d) {
        return d.multipliedBy(10);
    }

    // --- timeouts -----------------------------------------------------------------------------------

    @Test
    void connectionsThatNeverFinishTheirHeadersAreClosedAfterTheHeaderTimeout() throws Exception {
        HttpLimits limits = new HttpLimits(SHORT, LONG, 1024);
        for (Path socket : List.of(docker(limits), rest(limits))) {
            List<RawUnix> slow = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                slow.add(RawUnix.connect(socket).send("POST /Plugin.Activate HTTP/1.1\r\nHost: \r\n"));
            }
            slow.add(RawUnix.connect(socket)); // sends nothing at all
            for (RawUnix c : slow) {
                assertNotNull(c.awaitClosed(tenTimes(SHORT)), "closed within 10x the header timeout: " + socket);
                assertFalse(c.received().contains("200"), "an unfinished request is never served");
                c.close();
            }
        }
    }

    @Test
    void aBodyThatNeverArrivesIsCutAfterTheHeaderTimeoutToo() throws Exception {
        Path socket = docker(new HttpLimits(SHORT, LONG, 1024));
        try (RawUnix c = RawUnix.connect(socket)) {
            c.send("POST /VolumeDriver.Capabilities HTTP/1.1\r\nHost: \r\nContent-Length: 10\r\n\r\n{}");
            assertNotNull(c.awaitClosed(tenTimes(SHORT)), "a body that stalls is cut");
        }
        assertTrue(logs.atLeast(Level.WARNING).isEmpty(), logs.atLeast(Level.WARNING).toString());
    }

    @Test
    void aKeptAliveConnectionIsClosedWhenIdleAndCannotBeHeldByTricklingBytes() throws Exception {
        Duration idle = Duration.ofMillis(400);
        Path socket = docker(new HttpLimits(LONG, idle, 1024));
        try (RawUnix c = RawUnix.connect(socket)) {
            c.send(ACTIVATE);
            assertTrue(c.awaitText("VolumeDriver", LONG).startsWith("HTTP/1.1 200"), c.received());
            c.take();
            c.send(ACTIVATE); // kept alive: a second request right away is served
            assertTrue(c.awaitText("VolumeDriver", LONG).startsWith("HTTP/1.1 200"), c.received());
            c.take();
            assertNotNull(c.awaitClosed(tenTimes(idle)), "an idle connection is closed");
            assertEquals("", c.received(), "closed without a reply (a client just reconnects)");
        }
        try (RawUnix c = RawUnix.connect(socket)) {
            c.send(ACTIVATE);
            c.awaitText("VolumeDriver", LONG);
            // One byte every 50 ms: the connection is never silent, but no request is ever complete.
            Duration closedAfter = null;
            long deadline = System.nanoTime() + tenTimes(idle).toNanos();
            String trickle = "POST /Plugin.Activate HTTP/1.1\r\nX-Slow: " + "a".repeat(400);
            for (int i = 0; i < trickle.length() && System.nanoTime() < deadline; i++) {
                try {
                    c.send(trickle.substring(i, i + 1));
                } catch (java.io.IOException closed) {
                    closedAfter = Duration.ZERO;
                    break;
                }
                if (c.poll()) {
                    closedAfter = Duration.ZERO;
                    break;
                }
                Thread.sleep(50);
            }
            assertNotNull(closedAfter != null ? closedAfter : c.awaitClosed(idle),
                    "a connection trickling a request is closed within 10x the idle timeout");
        }
    }

    @Test
    void aSlowButValidClientAndSlowWorkAreServed() throws Exception {
        Duration header = Duration.ofSeconds(3);
        Path socket = docker(new HttpLimits(header, Duration.ofMillis(300), 1024));
        try (RawUnix c = RawUnix.connect(socket)) {
            for (char ch : ACTIVATE.toCharArray()) { // ~60 bytes over ~600 ms: slow, within the limit
                c.send(String.valueOf(ch));
                Thread.sleep(10);
            }
            assertTrue(c.awaitText("VolumeDriver", LONG).startsWith("HTTP/1.1 200"), c.received());
        }
        // Berth's own work on a request is not limited by the timeouts: a reply after 5x both is delivered.
        Path slowSocket = dir.resolve("slow.sock");
        Duration t = Duration.ofMillis(200);
        servers.add(UnixSocketServer.start(vertx, slowSocket, PosixFilePermissions.fromString("rw-------"), null,
                req -> vertx.setTimer(t.toMillis() * 5, id -> req.response().end("late")), 1,
                new HttpGuard("slow", new HttpLimits(t, t, 8), RestErrors::send)));
        try (RawUnix c = RawUnix.connect(slowSocket)) {
            c.send("GET /work HTTP/1.1\r\nHost: x\r\n\r\n");
            String reply = c.awaitText("late", LONG);
            assertTrue(reply.startsWith("HTTP/1.1 200") && reply.endsWith("late"), reply);
        }
    }

    // --- connection cap -------------------------------------------------------------------------------

    @Test
    void connectionsBeyondTheCapAreClosedAtOnceAndLoggedOnce() throws Exception {
        HttpLimits limits = new HttpLimits(LONG, LONG, 3);
        Path socket = docker(limits);
        List<RawUnix> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            RawUnix c = RawUnix.connect(socket).send(ACTIVATE);
            assertTrue(c.awaitText("VolumeDriver", LONG).startsWith("HTTP/1.1 200"), c.received());
            held.add(c);
        }
        for (int i = 0; i < 5; i++) {
            try (RawUnix extra = RawUnix.connect(socket)) {
                try {
                    extra.send(ACTIVATE);
                } catch (java.io.IOException refused) {
                    // closed before we could write: refused as well
                }
                // closed long before any timeout (30 s) could have closed it
                assertNotNull(extra.awaitClosed(Duration.ofSeconds(10)), "connection " + (4 + i) + " is refused");
                assertFalse(extra.received().contains("200"), extra.received());
            }
        }
        List<String> warnings = logs.at(Level.WARNING, "connections are open, the limit");
        assertEquals(1, warnings.size(), "one warning per burst: " + logs.atLeast(Level.WARNING));
        assertTrue(warnings.getFirst().contains(socket.toString()), warnings.getFirst());

        // a held connection still works; once one closes, a new one is served
        held.getFirst().take();
        held.getFirst().send(ACTIVATE);
        assertTrue(held.getFirst().awaitText("VolumeDriver", LONG).startsWith("HTTP/1.1 200"));
        held.removeFirst().close();
        RawUnix again = null;
        for (int attempt = 0; attempt < 100 && again == null; attempt++) { // the close reaches the server soon
            RawUnix c = RawUnix.connect(socket);
            try {
                c.send(ACTIVATE);
                if (c.awaitText("VolumeDriver", Duration.ofSeconds(2)).startsWith("HTTP/1.1 200")) {
                    again = c;
                    continue;
                }
            } catch (java.io.IOException stillRefused) {
                // the server has not seen the close yet
            }
            c.close();
            Thread.sleep(20);
        }
        assertNotNull(again, "a slot that was freed is given to a new connection");
        again.close();
        for (RawUnix c : held) {
            c.close();
        }
    }

    @Test
    void limitsAreChecked() {
        assertThrows(InvalidArgument.class, () -> new HttpLimits(Duration.ZERO, LONG, 1));
        assertThrows(InvalidArgument.class, () -> new HttpLimits(LONG, Duration.ofMillis(-1), 1));
        assertThrows(InvalidArgument.class, () -> new HttpLimits(LONG, LONG, 0));
        assertThrows(InvalidArgument.class, () -> new HttpLimits(null, LONG, 1));
    }

    // --- HTTP versions ------------------------------------------------------------------------------

    @Test
    void http2IsNotServedNeitherByPriorKnowledgeNorByUpgrade() throws Exception {
        for (Path socket : List.of(docker(HttpLimits.DEFAULT), rest(HttpLimits.DEFAULT))) {
            try (RawUnix c = RawUnix.connect(socket)) {
                c.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
                c.awaitClosed(LONG);
                String answer = c.received();
                // An HTTP/2 server answers the preface with a SETTINGS frame (type 4), in binary.
                assertFalse(answer.length() >= 4 && answer.charAt(3) == 4, "no HTTP/2 frames: " + hex(answer));
                assertTrue(answer.isEmpty() || answer.startsWith("HTTP/"), "only an HTTP/1.x refusal: " + answer);
                assertFalse(answer.contains(" 200 "), answer);
            }
            try (RawUnix c = RawUnix.connect(socket)) {
                c.send("GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                        + "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n");
                String answer = c.awaitText("}", LONG);
                assertFalse(answer.contains("101"), "no switch to h2c: " + answer);
                assertTrue(answer.startsWith("HTTP/1.1 "), answer);
            }
        }
    }

    static String hex(String s) {
        return java.util.HexFormat.of().formatHex(s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    }

    // --- odd requests ------------------------------------------------------------------------------

    static Stream<String> oddRequests() {
        return Stream.of(
                "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET x HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /v1/volumes?x=%zz HTTP/1.1\r\nHost: x\r\n\r\n",
                "FOO / HTTP/1.1\r\nHost: x\r\n\r\n",
                "CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n",
                "GET http://example.org/nowhere HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET / HTTP/1.1\r\nno colon here\r\n\r\n",
                "GET /a\rb HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(10_000) + "\r\n\r\n",
                "POST /VolumeDriver.Get HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                "POST /VolumeDriver.Get HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
                "POST /v1/volumes HTTP/1.1\r\nHost: x\r\nExpect: tea\r\nContent-Length: 2\r\n\r\n{}",
                "GET / HTTP/1.1\r\n\r\n");
    }

    @ParameterizedTest
    @MethodSource("oddRequests")
    void oddRequestsGetTheRestErrorShapeAndNoWarning(String request) throws Exception {
        JsonNode body = errorBody(rest(HttpLimits.DEFAULT), request);
        JsonNode error = body.path("error");
        assertFalse(error.path("code").asText().isEmpty(), body.toString());
        assertFalse(error.path("message").asText().isEmpty(), body.toString());
        assertTrue(error.has("hint"), body.toString());
        assertTrue(logs.atLeast(Level.WARNING).isEmpty(), logs.atLeast(Level.WARNING).toString());
    }

    @ParameterizedTest
    @MethodSource("oddRequests")
    void oddRequestsGetTheDockerErrorShapeAndNoWarning(String request) throws Exception {
        JsonNode body = errorBody(docker(HttpLimits.DEFAULT), request);
        assertFalse(body.path("Err").asText().isEmpty(), body.toString());
        assertTrue(logs.atLeast(Level.WARNING).isEmpty(), logs.atLeast(Level.WARNING).toString());
    }

    /** Sends {@code request}, expects a 4xx/5xx reply with a JSON body, returns the body. */
    static JsonNode errorBody(Path socket, String request) throws Exception {
        try (RawUnix c = RawUnix.connect(socket)) {
            c.send(request);
            String answer = c.awaitText("}", LONG);
            assertTrue(answer.matches("(?s)HTTP/1\\.[01] [45]\\d\\d .*"), "an HTTP error status: " + answer);
            int start = answer.indexOf("\r\n\r\n");
            assertTrue(start > 0, answer);
            assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("content-type: application/"), answer);
            return Json.MAPPER.readTree(answer.substring(start + 4));
        }
    }

    @Test
    void aClientThatDisconnectsMidBodyIsLoggedAtFineNotSevere() throws Exception {
        for (Path socket : List.of(docker(HttpLimits.DEFAULT), rest(HttpLimits.DEFAULT))) {
            for (int i = 0; i < 5; i++) {
                try (RawUnix c = RawUnix.connect(socket)) {
                    String path = socket.toString().contains("docker") ? "/VolumeDriver.Create" : "/v1/volumes";
                    c.send("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"Na");
                    Thread.sleep(50);
                }
            }
        }
        long deadline = System.nanoTime() + LONG.toNanos();
        while (logs.at(Level.FINE, "closed the connection").size() < 10 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(10, logs.at(Level.FINE, "the client closed the connection during POST").size(),
                "each disconnect logged at FINE: " + logs.atLeast(Level.FINE));
        assertTrue(logs.atLeast(Level.WARNING).isEmpty(), "no SEVERE, no stack trace: " + logs.atLeast(Level.WARNING));
    }

    @Test
    void duplicateAndTrailingJsonIsRefusedByTheRestApi() throws Exception {
        Path socket = rest(HttpLimits.DEFAULT);
        for (String body : List.of("{\"name\":\"a\",\"name\":\"b\"}", "{\"name\":\"a\",\"labels\":{\"k\":\"1\",\"k\":\"2\"}}",
                "{\"name\":\"a\"} {\"name\":\"b\"}")) {
            try (RawUnix c = RawUnix.connect(socket)) {
                c.send("POST /v1/volumes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body);
                String answer = c.awaitText("}}", LONG);
                assertTrue(answer.startsWith("HTTP/1.1 400"), body + " -> " + answer);
                assertTrue(answer.contains("invalid_argument"), answer);
                if (body.contains("\"name\":\"b\"") && !body.contains("} {")) {
                    assertTrue(answer.contains("field 'name' appears more than once"), answer);
                }
            }
        }
    }

    @Test
    void aConnectionClosedByTheClientIsForgotten() throws Exception {
        HttpLimits limits = new HttpLimits(LONG, LONG, 2);
        Path socket = docker(limits);
        for (int i = 0; i < 20; i++) { // far more than the cap, one after another: each slot is given back
            try (RawUnix c = RawUnix.connect(socket).send(ACTIVATE)) {
                assertTrue(c.awaitText("VolumeDriver", LONG).startsWith("HTTP/1.1 200"), "connection " + i + ": " + c.received());
            }
            Thread.sleep(5);
        }
        assertNull(logs.at(Level.WARNING, "the limit").stream().findFirst().orElse(null));
    }
}
