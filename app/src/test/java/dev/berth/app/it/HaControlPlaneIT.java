package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.app.testing.Cli;
import dev.berth.app.testing.HaCluster;
import dev.berth.app.testing.ServeProcess;
import dev.berth.app.testing.Sys;
import dev.berth.host.testing.Root;
import dev.berth.protocols.rest.RestClient;
import dev.berth.protocols.rest.RestClient.Method;
import dev.berth.store.etcd.testing.EtcdCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The process-level tests of the distributed control plane, on one shared {@link HaCluster}
 * (3 etcd members, 2 controllers, agents a and b, all real processes; lease TTL 2 s): each test
 * kills or stops parts of it and leaves it whole again ({@link #heal} restarts what a failed test
 * left down). Real loop devices and mounts below the class's temp folder; root.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HaControlPlaneIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    @TempDir
    static Path dir;
    HaCluster ha;

    @BeforeAll
    void up() throws Exception {
        Root.require();
        EtcdCluster.assumeInstalled();
        ha = HaCluster.start(dir);
    }

    @AfterAll
    void down() throws Exception {
        if (ha != null) {
            ha.close();
        }
        if (Root.isRoot()) {
            Sys.cleanUp(dir);
        }
    }

    /**
     * Whatever an earlier test killed and did not bring back (it failed half-way, or it is a crash
     * test: those leave controller 1 down, as the next one starts it with its own checkpoint) is
     * started again.
     */
    @BeforeEach
    void heal(TestInfo test) throws Exception {
        for (int m = 0; m < ha.etcd.size(); m++) {
            if (!ha.etcd.isRunning(m)) {
                ha.etcd.restart(m);
            }
        }
        ha.etcd.awaitHealthy();
        boolean crashTest = test.getTestMethod().orElseThrow().getName().startsWith("controllerKilledInside");
        for (int i = crashTest ? 1 : 0; i < 2; i++) {
            if (ha.controller(i) == null || !ha.controller(i).isAlive()) {
                ha.cluster.startController(i, Map.of());
            }
        }
        for (String node : HaCluster.AGENTS) {
            if (!ha.agent(node).isAlive()) {
                ha.startAgent(node);
            }
        }
    }

    @Test
    @Order(1)
    void etcdLeaderKilledChangesKeepWorking() throws Exception {
        int leader = etcdLeader();
        ha.etcd.kill9(leader);
        ha.etcd.awaitHealthy(); // the two survivors elect a leader; Berth is told nothing
        ok(cli(ha.admin(0, "volume", "create", "survivor", "--size", "64M")));
        Path data = Path.of(ok(cli(ha.onAgent("a", "volume", "mount", "survivor", "--ref", "r1"))).strip());
        Files.writeString(data.resolve("f"), "written while an etcd member was down");
        assertTrue(ok(cli(ha.admin(1, "volume", "inspect", "survivor", "-o", "json"))).contains("\"status\" : \"mounted\""));
        String id = inspect(0, "survivor").path("id").asText();
        ok(cli(ha.onAgent("a", "volume", "unmount", "survivor", "--ref", "r1")));
        assertEquals(List.of(), Sys.mountsUnder(data.getParent()));
        ok(cli(ha.admin(1, "volume", "rm", "survivor")));
        assertTrue(!names(0).contains("survivor"));
        assertEquals(List.of(), filesOf(id), "the image went with the volume");
        ha.etcd.restart(leader);
    }

    /**
     * Agent a's controller dies: its heartbeats go to the other one at once, so its lease (2 s)
     * never lapses: "alive" at every look for 3 TTLs, same registration (no new lease), and its
     * mount is untouched. Its next change (unmount) goes through the survivor too.
     */
    @Test
    @Order(1)
    void controllerKilledAgentMovesToTheOtherAndKeepsItsMount() throws Exception {
        ok(cli(ha.admin(0, "volume", "create", "moving", "--size", "64M")));
        Path data = Path.of(ok(cli(ha.onAgent("a", "volume", "mount", "moving", "--ref", "r1"))).strip());
        Files.writeString(data.resolve("f"), "before the fail-over");
        JsonNode before = node(1, "a");
        assertEquals("alive", before.path("state").asText(), before.toString());

        // controller.url lists controller 1 first: that is the one a talks to.
        ha.controller(0).kill9();
        long until = System.nanoTime() + Duration.ofSeconds(6).toNanos(); // 3 lease TTLs
        int looks = 0;
        while (System.nanoTime() < until) {
            JsonNode now = node(1, "a");
            assertEquals("alive", now.path("state").asText(), "a's lease lapsed after its controller died: " + now
                    + ha.agent("a").log());
            assertEquals(before.path("registered").asText(), now.path("registered").asText(), "a registered anew");
            looks++;
            Thread.sleep(200);
        }
        assertTrue(looks >= 3, "looked " + looks + " times");
        // The agent says which controller it moved to (and that it was talking to controller 1).
        ha.agent("a").awaitLog("now using " + ha.cluster.url(1), Duration.ofSeconds(30));
        assertTrue(ha.agent("a").log().contains(ha.cluster.url(0) + " could not serve it"), ha.agent("a").log());
        assertEquals(List.of(data.getParent().toString()), Sys.mountsUnder(data.getParent()), "the mount stays");
        assertEquals("before the fail-over", Files.readString(data.resolve("f")));

        ok(cli(ha.onAgent("a", "volume", "unmount", "moving", "--ref", "r1")));
        assertEquals(List.of(), Sys.mountsUnder(data.getParent()));
        ok(cli(ha.admin(1, "volume", "rm", "moving")));
        ha.cluster.startController(0, Map.of());
    }

    /** Everything stopped (agents, controllers, every etcd member) and started again: nothing lost. */
    @Test
    @Order(1)
    void restartEverythingLosesNothing() throws Exception {
        ok(cli(ha.admin(0, "volume", "create", "kept", "--size", "64M")));
        ok(cli(ha.admin(1, "volume", "create", "idle", "--size", "64M")));
        Path data = Path.of(ok(cli(ha.onAgent("a", "volume", "mount", "kept", "--ref", "r1"))).strip());
        ok(cli(ha.onAgent("a", "volume", "mount", "kept", "--ref", "r2")));
        Files.writeString(data.resolve("f"), "kept");
        JsonNode kept = inspect(0, "kept");
        JsonNode idle = inspect(0, "idle");

        for (String node : HaCluster.AGENTS) {
            assertEquals(143, ha.agent(node).terminate());
        }
        assertEquals(143, ha.controller(0).terminate());
        assertEquals(143, ha.controller(1).terminate());
        ha.etcd.kill9All();
        for (int m = 0; m < ha.etcd.size(); m++) {
            ha.etcd.restart(m);
        }
        ha.startControllers();
        for (String node : HaCluster.AGENTS) {
            ha.startAgent(node);
        }
        assertTrue(ha.agent("a").log().contains("re-adopted volume kept (2 mount references)"), ha.agent("a").log());

        // A restart slower than the 2 s lease lets a's lease lapse: a then registers again and
        // claims its mounts anew (epoch + 1). Everything else is as it was.
        JsonNode keptAfter = inspect(1, "kept");
        for (String field : List.of("id", "status", "node", "mountRefs", "device", "created")) {
            assertEquals(kept.path(field), keptAfter.path(field), field + " of kept: " + keptAfter);
        }
        assertTrue(keptAfter.path("epoch").asLong() >= kept.path("epoch").asLong(), keptAfter.toString());
        JsonNode idleAfter = inspect(1, "idle");
        assertEquals(idle.path("id"), idleAfter.path("id"));
        assertEquals("available", idleAfter.path("status").asText(), idleAfter.toString());
        assertEquals("kept", Files.readString(data.resolve("f")));

        ok(cli(ha.onAgent("a", "volume", "unmount", "kept", "--ref", "r1")));
        ok(cli(ha.onAgent("a", "volume", "unmount", "kept", "--ref", "r2")));
        ok(cli(ha.admin(0, "volume", "rm", "kept")));
        ok(cli(ha.admin(1, "volume", "rm", "idle")));
        assertEquals(List.of(), filesOf(kept.path("id").asText()));
        assertEquals(List.of(), filesOf(idle.path("id").asText()));
    }

    /** 100 creates of one name through each controller at once: one volume, one image in the pool. */
    @Test
    @Order(1)
    void concurrentCreatesOfOneNameMakeOneVolume() throws Exception {
        String admin = ha.cluster.token("admin");
        List<String> before = images();
        ExecutorService pool = Executors.newFixedThreadPool(200);
        try (RestClient c0 = ha.cluster.rest(0, admin); RestClient c1 = ha.cluster.rest(1, admin)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<RestClient.Response>> answers = new ArrayList<>();
            for (int t = 0; t < 200; t++) {
                RestClient c = t % 2 == 0 ? c0 : c1;
                answers.add(pool.submit(() -> {
                    go.await();
                    return c.call(Method.POST, "/v1/volumes", Map.of("name", "race", "size", "64M"));
                }));
            }
            go.countDown();
            Set<String> ids = new HashSet<>();
            for (Future<RestClient.Response> f : answers) {
                RestClient.Response r = f.get();
                assertTrue(r.status() == 200 || r.status() == 201, r.status() + " " + r.body());
                ids.add(JSON.readTree(r.body()).path("id").asText());
            }
            assertEquals(1, ids.size(), "every create answered the same volume: " + ids);
            assertEquals(1, names(1).stream().filter("race"::equals).count(), names(1).toString());
            List<String> made = new ArrayList<>(images());
            made.removeAll(before);
            assertEquals(List.of(ids.iterator().next() + ".img"), made, "one backend object, the volume's own");
            assertEquals(204, c0.call(Method.DELETE, "/v1/volumes/race", null).status());
            assertEquals(before, images());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Agent a's node token, sent to the second controller, cannot act for node b (heartbeat,
     * register, claim: 403); b's lease then runs out once b's agent is gone, as nobody renews it.
     */
    @Test
    @Order(1)
    void anAgentCannotActForAnotherThroughTheOtherController() throws Exception {
        ok(cli(ha.admin(0, "volume", "create", "theirs", "--size", "64M")));
        String id = inspect(0, "theirs").path("id").asText();
        try (RestClient asA = ha.cluster.rest(1, ha.cluster.nodeToken("a"))) {
            assertEquals(204, asA.call(Method.POST, "/v1/control/nodes/a/heartbeat", null).status(), "a may heartbeat for a");
            ha.agent("b").kill9();
            assertEquals(403, asA.call(Method.POST, "/v1/control/nodes/b/heartbeat", null).status());
            assertEquals(403, asA.call(Method.POST, "/v1/control/nodes/b/register",
                    Map.of("id", "b", "address", "127.0.0.1", "version", "x")).status());
            assertEquals(403, asA.call(Method.POST, "/v1/control/volumes/" + id + "/claim",
                    Map.of("node", "b", "explicit", true)).status());
            await(() -> node(1, "b").path("state").asText().equals("expired"), "b's lease never expired");
            assertEquals(403, asA.call(Method.POST, "/v1/control/nodes/b/heartbeat", null).status());
            assertEquals("expired", node(0, "b").path("state").asText(), "both controllers see it");
            assertEquals("alive", node(0, "a").path("state").asText());
        }
        ha.startAgent("b");
        await(() -> node(0, "b").path("state").asText().equals("alive"), "b is back");
        ok(cli(ha.admin(1, "volume", "rm", "theirs")));
    }

    /**
     * kill -9 of controller 1 at a named step inside create or remove (CreateRemoveCrashIT's steps,
     * here with etcd as the store): the same call retried through controller 2 succeeds, and after
     * the reconcile (once the cut-off call is older than 2 x api.taskWait) no orphan image and no
     * half record is left: the pool holds exactly the volume's own image, or nothing.
     */
    @Order(2) // last: the cases share one down controller 1 between them
    @ParameterizedTest
    @ValueSource(strings = {"create-after-reserve", "create-after-backend", "create-before-record", "create-after-record",
            "remove-after-mark", "remove-after-backend"})
    void controllerKilledInsideCreateOrRemoveOtherFinishesIt(String step) throws Exception {
        boolean removing = step.startsWith("remove");
        String name = "cut-" + step;
        Path marker = dir.resolve("paused-" + step);
        List<String> before = poolFiles();
        String removedId = null;
        if (removing) {
            ok(cli(ha.admin(1, "volume", "create", name, "--size", "64M")));
            removedId = inspect(1, name).path("id").asText();
        }
        if (ha.controller(0).isAlive()) {
            ha.controller(0).kill9();
        }
        ServeProcess paused = ha.cluster.startController(0, Map.of("BERTH_TEST_PAUSE_AT", step,
                "BERTH_TEST_PAUSE_MARKER", marker.toString()));
        String[] call = removing ? ha.admin(0, "volume", "rm", name) : ha.admin(0, "volume", "create", name, "--size", "64M");
        CompletableFuture<Cli.Result> cut = CompletableFuture.supplyAsync(() -> cli(call));
        await(() -> Files.exists(marker), "controller 1 never reached " + step);
        paused.kill9();
        assertTrue(cut.get().code() != 0, "the cut-off call must not report success: " + cut.get());

        String[] retry = removing ? ha.admin(1, "volume", "rm", name) : ha.admin(1, "volume", "create", name, "--size", "64M");
        ok(cli(retry));
        // The report names every reservation or removal mark left, even one still "in progress".
        try (RestClient c = ha.cluster.rest(1, ha.cluster.token("admin"))) {
            RestClient.Response report = c.call(Method.POST, "/v1/reconcile", null);
            assertEquals(200, report.status(), report.body());
            JsonNode r = JSON.readTree(report.body());
            for (String part : List.of("creates", "removes", "unowned", "failures")) {
                assertEquals(0, r.path(part).size(), part + " after the retry: " + report.body());
            }
        }
        if (removing) {
            assertEquals(List.of(), filesOf(removedId), "the removed volume's image and metadata are gone");
            assertEquals(before, poolFiles(), "nothing else left in the pool");
            assertTrue(!names(1).contains(name), "no half record of " + name);
        } else {
            String id = inspect(1, name).path("id").asText();
            List<String> made = new ArrayList<>(poolFiles());
            made.removeAll(before);
            assertEquals(List.of(id + ".img", id + ".meta.json"), made, "one image, the volume's own");
            assertEquals(1, names(1).stream().filter(name::equals).count(), "one record of " + name);
            ok(cli(ha.admin(1, "volume", "rm", name)));
            assertEquals(before, poolFiles());
        }
        // controller 1 stays down: the next crash test starts it with its checkpoint, heal() without
    }

    // ---- helpers --------------------------------------------------------------------------

    private static Cli.Result cli(String... args) {
        return Cli.raw(args);
    }

    private String ok(Cli.Result r) throws Exception {
        assertEquals(0, r.code(), r + ha.logs());
        return r.out();
    }

    private JsonNode inspect(int controller, String name) throws Exception {
        return JSON.readTree(ok(cli(ha.admin(controller, "volume", "inspect", name, "-o", "json"))));
    }

    /** Node {@code id} as controller {@code i} lists it (GET /v1/nodes). */
    private JsonNode node(int i, String id) {
        try (RestClient c = ha.cluster.rest(i, ha.cluster.token("admin"))) {
            for (JsonNode n : JSON.readTree(c.call(Method.GET, "/v1/nodes", null).body())) {
                if (n.path("id").asText().equals(id)) {
                    return n;
                }
            }
            throw new AssertionError("controller " + (i + 1) + " does not know node " + id);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The volume names controller {@code i} lists. */
    private List<String> names(int i) throws Exception {
        return ok(cli(ha.admin(i, "volume", "ls", "-q"))).lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    /** The pool files of volume {@code id}. */
    private List<String> filesOf(String id) throws Exception {
        return poolFiles().stream().filter(f -> f.startsWith(id + ".")).toList();
    }

    /** The loop images in the shared pool. */
    private List<String> images() throws Exception {
        return poolFiles().stream().filter(n -> n.endsWith(".img")).toList();
    }

    /** Every file in the shared pool (images and their metadata), sorted. */
    private List<String> poolFiles() throws Exception {
        Path pool = dir.resolve("pool");
        if (!Files.isDirectory(pool)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(pool)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The member etcd names leader (from etcdctl endpoint status). */
    private int etcdLeader() throws Exception {
        JsonNode status = JSON.readTree(ha.etcd.etcdctl("endpoint", "status", "-w", "json"));
        for (int m = 0; m < status.size(); m++) {
            JsonNode s = status.get(m).path("Status");
            if (s.path("header").path("member_id").asText().equals(s.path("leader").asText())) {
                String endpoint = status.get(m).path("Endpoint").asText();
                for (int i = 0; i < ha.etcd.size(); i++) {
                    if (endpoint.endsWith(":" + ha.etcd.clientPort(i))) {
                        return i;
                    }
                }
            }
        }
        throw new AssertionError("no etcd leader in " + status);
    }

    private void await(BooleanSupplier condition, String what) throws Exception {
        long end = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError(what + " within " + PATIENCE + ha.logs());
            }
            Thread.sleep(100);
        }
    }
}
