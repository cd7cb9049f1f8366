package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.app.testing.Cli;
import dev.berth.app.testing.LocalBerth;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A change that outlives api.taskWait is answered 202 with a task; the task ends with the real answer. */
class TasksIT {
    @TempDir
    Path dir;
    LocalBerth berth;
    Vertx vertx;
    Path config;

    @BeforeEach
    void start() throws Exception {
        berth = LocalBerth.start(dir, "task-node", Map.of("api.taskWait", "1ms"));
        config = berth.config;
        vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    }

    @AfterEach
    void stop() throws Exception {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        if (berth != null) {
            berth.close();
        }
    }

    private JsonNode[] send(HttpMethod method, String uri, String body) throws Exception {
        var client = vertx.createHttpClient();
        RequestOptions o = new RequestOptions().setMethod(method).setURI(uri).setHost("localhost").setPort(80)
                .setServer(SocketAddress.domainSocketAddress(dir.resolve("berth.sock").toString()));
        // Composed on the event loop (Futures.onContext): composed from this thread, a late body handler loses the body.
        Object[] resp = dev.berth.protocols.http.Futures.onContext(vertx.getOrCreateContext(), () -> client.request(o)
                .compose(r -> r.send(body == null ? Buffer.buffer() : Buffer.buffer(body))
                .compose(x -> x.body().map(b -> new Object[] {x.statusCode(), b.toString()}))));
        ObjectMapper m = new ObjectMapper();
        return new JsonNode[] {m.valueToTree(resp[0]), ((String) resp[1]).isEmpty() ? null : m.readTree((String) resp[1])};
    }

    @Test
    void slowChangesBecomeTasks() throws Exception {
        assertEquals(0, new Cli(config).run("volume", "create", "t1").code());
        JsonNode[] accepted = send(HttpMethod.POST, "/v1/volumes/t1/mount", "{\"ref\":\"r\"}");
        assertEquals(202, accepted[0].asInt(), String.valueOf(accepted[1]));
        String href = accepted[1].path("href").asText();
        assertTrue(href.startsWith("/v1/tasks/"), href);
        JsonNode task;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        do {
            Thread.sleep(50);
            task = send(HttpMethod.GET, href, null)[1];
        } while (task.path("state").asText().equals("running") && System.nanoTime() < deadline);
        assertEquals("succeeded", task.path("state").asText(), task.toString());
        assertEquals(200, task.path("status").asInt());
        assertEquals(dir.resolve("volumes/t1/data").toString(), task.path("result").path("path").asText());

        JsonNode[] failing = send(HttpMethod.POST, "/v1/volumes/ghost/mount", "{\"ref\":\"r\"}");
        if (failing[0].asInt() == 202) {
            String h = failing[1].path("href").asText();
            JsonNode t;
            do {
                Thread.sleep(50);
                t = send(HttpMethod.GET, h, null)[1];
            } while (t.path("state").asText().equals("running"));
            assertEquals("failed", t.path("state").asText());
            assertEquals(404, t.path("status").asInt());
            assertEquals("not_found", t.path("error").path("code").asText());
        } else {
            assertEquals(404, failing[0].asInt());
        }
        // The CLI follows tasks by itself: same answer as without them.
        Cli.Result unmount = new Cli(config).run("volume", "unmount", "t1", "--ref", "r");
        assertEquals(0, unmount.code(), unmount.toString());
        assertEquals(404, send(HttpMethod.GET, "/v1/tasks/no-such-task", null)[0].asInt());
    }
}
