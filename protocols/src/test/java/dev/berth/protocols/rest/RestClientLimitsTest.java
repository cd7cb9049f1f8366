package dev.berth.protocols.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.berth.core.error.BackendFailure;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A server that is not Berth cannot make the client read an endless answer into memory. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class RestClientLimitsTest {
    HttpServer server;
    URI uri;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/endless", ex -> {
            ex.sendResponseHeaders(200, 0); // chunked, no length
            byte[] chunk = new byte[1 << 16];
            try (OutputStream out = ex.getResponseBody()) {
                while (true) {
                    out.write(chunk);
                }
            } catch (IOException clientLeft) {
                // expected: the client closes the connection at the limit
            }
        });
        server.createContext("/huge", ex -> {
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, 1L << 40);
            try (OutputStream out = ex.getResponseBody()) {
                out.write("{\"a\":".getBytes());
                out.flush();
                Thread.sleep(5_000); // the client must give up on the length alone
            } catch (IOException | InterruptedException clientLeft) {
                // expected
            }
        });
        server.createContext("/fine", ex -> {
            byte[] body = "{\"ok\":1}".getBytes();
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void anEndlessAnswerStopsAtTheLimit() {
        try (RestClient c = RestClient.tcp(uri, null, null)) {
            long before = usedHeap();
            BackendFailure e = assertThrows(BackendFailure.class, () -> c.call(RestClient.Method.GET, "/endless", null));
            assertEquals("the answer of " + uri + " to GET /endless is larger than 64 MiB", e.getMessage());
            assertTrue(usedHeap() - before < 512L << 20, "bounded memory");
            long start = System.nanoTime();
            e = assertThrows(BackendFailure.class, () -> c.call(RestClient.Method.GET, "/huge", null));
            assertEquals("the answer of " + uri + " to GET /huge is larger than 64 MiB", e.getMessage());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(4), "refused on the length, not after reading");
            assertEquals("{\"ok\":1}", c.call(RestClient.Method.GET, "/fine", null).body(), "the client still works");
        }
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
}
