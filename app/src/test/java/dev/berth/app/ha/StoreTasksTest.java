package dev.berth.app.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.core.controller.ControllerService;
import dev.berth.core.ha.ControllerLease;
import dev.berth.core.model.FsType;
import dev.berth.core.service.CombinedVolumes;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.StateKeys;
import dev.berth.core.service.VolumeDefaults;
import dev.berth.core.service.Volumes;
import dev.berth.core.spi.StateStore;
import dev.berth.core.task.StoreTaskBook;
import dev.berth.core.task.TaskRecord;
import dev.berth.drivers.dir.DirDriver;
import dev.berth.host.LinuxHostOps;
import dev.berth.protocols.http.Blocking;
import dev.berth.protocols.http.HttpGuard;
import dev.berth.protocols.http.HttpLimits;
import dev.berth.protocols.http.UnixSocketServer;
import dev.berth.protocols.rest.Access;
import dev.berth.protocols.rest.RestApi;
import dev.berth.protocols.rest.RestClient;
import dev.berth.protocols.rest.RestErrors;
import dev.berth.protocols.rest.ServerInfo;
import dev.berth.protocols.rest.Tasks;
import dev.berth.store.embedded.SqliteStateStore;
import dev.berth.store.json.JsonCodec;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tasks in the store: two controllers (each its own lease, task book and REST server on a socket of
 * its own) over one real embedded store, as two controllers share one etcd. A task started on one is
 * read on the other, outlives its controller, and is reported failed once its controller is gone.
 * The volume work is real (dir driver); a gate holds chosen creates open, so a task is known to be
 * running when its controller dies. No root needed.
 */
class StoreTasksTest {
    private static final Duration TTL = Duration.ofSeconds(1);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    StateStore store;
    Vertx vertx;
    Blocking blocking;
    final List<AutoCloseable> open = new ArrayList<>();
    final CountDownLatch gate = new CountDownLatch(1);

    /** The store the test itself uses (and, embedded, every controller too). */
    protected StateStore openStore() {
        return SqliteStateStore.open(dir.resolve("state"));
    }

    /** The same store again, after everything was closed (a restart). */
    protected StateStore reopenStore() {
        return openStore();
    }

    /** The store one controller uses: the shared object here; a client of its own on etcd. */
    protected StateStore controllerStore() {
        return store;
    }

    @BeforeEach
    void start() {
        store = openStore();
        vertx = Vertx.vertx();
        blocking = new Blocking();
    }

    @AfterEach
    void stop() throws Exception {
        gate.countDown();
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        blocking.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        store.close();
    }

    record Controller(String id, ControllerLease lease, StoreTaskBook book, Path socket) {
    }

    /** A controller as Daemon wires one, with api.taskWait 1 ms: every change becomes a task. */
    Controller controller(String id, Clock clock) {
        StateStore store = controllerStore();
        ServiceRegistry services = new ServiceRegistry(Map.of("scratch",
                new DirDriver(dir.resolve("dirs"), new LinuxHostOps())), "scratch");
        ControllerService service = new ControllerService(store, new JsonCodec(), services,
                new VolumeDefaults(64L << 20, FsType.EXT4), TTL, Clock.systemUTC());
        ControllerLease lease = ControllerLease.register(store, id, "test controller " + id, TTL);
        open.add(lease);
        StoreTaskBook book = new StoreTaskBook(store, new JsonCodec(), id, Duration.ofMinutes(10), clock,
                Tasks::outcome, TTL);
        RestApi api = new RestApi(gated(new CombinedVolumes(service, null)), service,
                ServerInfo.of("test", "controller", id), blocking, new Tasks(Duration.ofMillis(1), book),
                Access.OPEN);
        Path socket = dir.resolve(id + ".sock");
        HttpLimits limits = new HttpLimits(Duration.ofSeconds(10), Duration.ofSeconds(60), 100);
        open.add(UnixSocketServer.start(vertx, socket, PosixFilePermissions.fromString("rw-------"), null,
                api.router(vertx, null), 1, new HttpGuard(socket.toString(), limits, RestErrors::send)));
        return new Controller(id, lease, book, socket);
    }

    /** Creates of volumes named slow-* wait for the gate: the task is running as long as the test wants. */
    Volumes gated(Volumes real) {
        return (Volumes) Proxy.newProxyInstance(Volumes.class.getClassLoader(), new Class<?>[] {Volumes.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("create") && ((CreateVolume) args[0]).name().startsWith("slow-")) {
                        // A copy that got half way: what the task shows while it waits.
                        if (args.length == 2 && args[1] instanceof dev.berth.core.spi.Progress p) {
                            p.update(5 << 20, 10 << 20);
                        }
                        gate.await();
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    JsonNode[] send(Path socket, HttpMethod method, String uri, String body) throws Exception {
        var client = vertx.createHttpClient();
        RequestOptions o = new RequestOptions().setMethod(method).setURI(uri).setHost("localhost").setPort(80)
                .setServer(SocketAddress.domainSocketAddress(socket.toString()));
        Object[] resp = dev.berth.protocols.http.Futures.onContext(vertx.getOrCreateContext(), () -> client.request(o)
                .compose(r -> r.send(body == null ? Buffer.buffer() : Buffer.buffer(body))
                .compose(x -> x.body().map(b -> new Object[] {x.statusCode(), b.toString()}))));
        return new JsonNode[] {JSON.valueToTree(resp[0]), ((String) resp[1]).isEmpty() ? null : JSON.readTree((String) resp[1])};
    }

    /** Starts a create on {@code c} and returns its task's href (the call outlives the 1 ms wait). */
    String startCreate(Controller c, String name) throws Exception {
        JsonNode[] accepted = send(c.socket(), HttpMethod.POST, "/v1/volumes", "{\"name\":\"" + name + "\"}");
        assertEquals(202, accepted[0].asInt(), String.valueOf(accepted[1]));
        return accepted[1].path("href").asText();
    }

    JsonNode task(Controller c, String href) throws Exception {
        try (RestClient client = RestClient.unix(c.socket())) {
            RestClient.Response r = client.call(RestClient.Method.GET, href, null);
            assertEquals(200, r.status(), r.body());
            return JSON.readTree(r.body());
        }
    }

    JsonNode awaitEnd(Controller c, String href) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        JsonNode t;
        do {
            Thread.sleep(20);
            t = task(c, href);
        } while (t.path("state").asText().equals("running") && System.nanoTime() < deadline);
        return t;
    }

    @Test
    void aRunningCopysProgressIsShownByEveryControllerAndFollowedByTheClient() throws Exception {
        Controller a = controller("ctl-a", Clock.systemUTC());
        Controller b = controller("ctl-b", Clock.systemUTC());
        List<long[]> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        var call = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try (RestClient client = RestClient.unix(a.socket())) {
                return client.call(RestClient.Method.POST, "/v1/volumes", Map.of("name", "slow-copy"),
                        new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { },
                        (done, total) -> seen.add(new long[] {done, total}));
            }
        });
        String href = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        JsonNode running = null;
        while (System.nanoTime() < deadline) {
            Thread.sleep(50);
            var tasks = store.list(StateKeys.TASKS);
            if (!tasks.isEmpty()) {
                href = "/v1/tasks/" + tasks.getFirst().key().substring(StateKeys.TASKS.length());
                running = task(b, href);
                if (running.path("progress").isObject()) {
                    break;
                }
            }
        }
        assertTrue(running != null && running.path("progress").isObject(), "no progress shown: " + running);
        assertEquals("running", running.path("state").asText(), running.toString());
        assertEquals(5L << 20, running.path("progress").path("done").asLong(), running.toString());
        assertEquals(10L << 20, running.path("progress").path("total").asLong(), running.toString());

        gate.countDown();
        assertEquals("slow-copy", call.get(20, TimeUnit.SECONDS).get("name"));
        assertTrue(seen.stream().anyMatch(x -> x[0] == 5L << 20 && x[1] == 10L << 20),
                "the client was told the task's progress: " + seen.size() + " reports");
        JsonNode done = awaitEnd(b, href);
        assertEquals("succeeded", done.path("state").asText(), done.toString());
        assertEquals(5L << 20, done.path("progress").path("done").asLong(), "a finished task keeps its last progress");
    }

    @Test
    void aTaskStartedOnOneControllerIsFollowedOnTheOther() throws Exception {
        Controller a = controller("ctl-a", Clock.systemUTC());
        Controller b = controller("ctl-b", Clock.systemUTC());
        String href = startCreate(a, "slow-1");
        JsonNode running = task(b, href);
        assertEquals("running", running.path("state").asText(), running.toString());
        assertEquals("create", running.path("operation").asText());
        assertEquals(0, running.path("status").asInt());

        gate.countDown();
        JsonNode done = awaitEnd(b, href);
        assertEquals("succeeded", done.path("state").asText(), done.toString());
        assertEquals(201, done.path("status").asInt());
        assertEquals("slow-1", done.path("result").path("name").asText(), done.toString());
        assertEquals(done, task(a, href), "both controllers tell the same");

        // The client's own 202 follow-up (RestClient.followTask) still ends with the real answer.
        try (RestClient client = RestClient.unix(a.socket())) {
            RestClient.Response r = client.call(RestClient.Method.POST, "/v1/volumes", Map.of("name", "quick-1"));
            assertEquals(201, r.status(), r.body());
            assertEquals("quick-1", JSON.readTree(r.body()).path("name").asText());
        }
        assertEquals(404, send(b.socket(), HttpMethod.GET, "/v1/tasks/" + java.util.UUID.randomUUID(), null)[0].asInt());
        assertEquals(404, send(b.socket(), HttpMethod.GET, "/v1/tasks/..%2Fvolumes", null)[0].asInt());
    }

    @Test
    void aTaskWhoseControllerDiedIsReportedFailedAndStaysSo() throws Exception {
        Controller a = controller("ctl-a", Clock.systemUTC());
        Controller b = controller("ctl-b", Clock.systemUTC());
        String href = startCreate(a, "slow-2");
        a.lease().abandon(); // a dies: its registration expires one TTL after its last renewal
        JsonNode failed = awaitEnd(b, href);
        assertEquals("failed", failed.path("state").asText(), failed.toString());
        assertEquals(503, failed.path("status").asInt());
        assertEquals("unavailable", failed.path("error").path("code").asText());
        assertTrue(failed.path("error").path("message").asText().contains("controller ctl-a stopped while it ran"),
                failed.toString());
        assertTrue(failed.path("error").path("hint").asText().contains("safe to run again"), failed.toString());
        assertTrue(failed.hasNonNull("finished"), failed.toString());

        // The change itself still ends on a (it was not really dead); what was reported stays.
        gate.countDown();
        try (RestClient client = RestClient.unix(b.socket())) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (client.call(RestClient.Method.GET, "/v1/volumes/slow-2", null).status() != 200) {
                assertTrue(System.nanoTime() < deadline, "the create on a never ended");
                Thread.sleep(20);
            }
        }
        Thread.sleep(200); // let a try to record its outcome
        assertEquals(failed, task(b, href), "a task reported failed is never turned around");
        assertEquals(failed, task(a, href));
    }

    @Test
    void finishedTasksSurviveARestartOfTheStoreAndTheirController() throws Exception {
        Controller a = controller("ctl-a", Clock.systemUTC());
        String href = startCreate(a, "slow-3");
        gate.countDown();
        JsonNode done = awaitEnd(a, href);
        assertEquals("succeeded", done.path("state").asText(), done.toString());
        // Everything stops (a clean stop revokes a's lease); the store is opened again by a new controller.
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        open.clear();
        store.close();
        store = reopenStore();
        Controller c = controller("ctl-c", Clock.systemUTC());
        assertEquals(done, task(c, href));
    }

    @Test
    void purgeDeletesOldFinishedTasksAndEndsTheAbandonedOnes() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        Controller a = controller("ctl-a", clock);
        ControllerLease gone = ControllerLease.register(store, "ctl-gone", "test", TTL);
        StoreTaskBook goneBook = new StoreTaskBook(store, new JsonCodec(), "ctl-gone", Duration.ofMinutes(10), clock,
                Tasks::outcome, TTL);
        String old = a.book().start("create");
        a.book().succeeded(old, new dev.berth.core.task.TaskBook.Outcome(204, null));
        String orphan = goneBook.start("remove");
        gone.close(); // revoked: controllers/ctl-gone is gone now
        clock.now = clock.now.plus(Duration.ofMinutes(5));
        String recent = a.book().start("attach");
        a.book().failed(recent, Tasks.outcome(new dev.berth.core.error.Busy("busy", "")));

        assertEquals(0, a.book().purge(), "nothing is old enough yet");
        TaskRecord ended = a.book().get(orphan).orElseThrow();
        assertEquals(TaskRecord.State.FAILED, ended.state(), "purge ends the tasks of vanished controllers");
        clock.now = clock.now.plus(Duration.ofMinutes(6)); // old finished 11 min ago, recent and orphan 6 and 6
        assertFalse(a.book().get(old).isPresent(), "hidden once older than keep, even before the purge");
        assertTrue(store.get(StateKeys.task(old)).isPresent());
        assertEquals(1, a.book().purge());
        assertFalse(store.get(StateKeys.task(old)).isPresent(), "deleted by the purge");
        assertTrue(a.book().get(recent).isPresent());
        assertTrue(a.book().get(orphan).isPresent());
    }

    static final class MutableClock extends Clock {
        volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
