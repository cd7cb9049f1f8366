package dev.berth.app.fencing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.controller.ControllerService;
import dev.berth.core.error.AttachedElsewhere;
import dev.berth.core.error.Fenced;
import dev.berth.core.error.Unavailable;
import dev.berth.core.ha.Monotonic;
import dev.berth.core.model.Attachment;
import dev.berth.core.model.Event;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Grant;
import dev.berth.core.model.Node;
import dev.berth.core.node.FenceOps;
import dev.berth.core.node.GrantBook;
import dev.berth.core.node.NodeService;
import dev.berth.core.node.NodeSession;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.MountLayout;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.StateKeys;
import dev.berth.core.service.VolumeDefaults;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.spi.ControlPlane;
import dev.berth.drivers.dir.DirDriver;
import dev.berth.host.LinuxHostOps;
import dev.berth.store.embedded.SqliteStateStore;
import dev.berth.store.json.JsonCodec;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules of claims, grants, takeover and self-fencing, without root and in milliseconds: one
 * controller over the real embedded store, two node services ("a" and "b") with the dir driver,
 * and a manual monotonic clock for the grace, the takeover wait and the self-fencing deadline. A
 * node "dies" by its lease ending (revoked, which is what the store's reaper does at expiry).
 */
class FencingRulesTest {
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration GRACE = Duration.ofSeconds(2);

    /** Sleeping advances the clock at once and adds up what was slept. */
    static final class ManualClock implements Monotonic {
        final AtomicLong now = new AtomicLong(1_000_000_000L);
        final AtomicLong slept = new AtomicLong();

        @Override
        public long nanos() {
            return now.get();
        }

        @Override
        public void sleep(Duration d) {
            now.addAndGet(d.toNanos());
            slept.addAndGet(d.toNanos());
        }

        void advance(Duration d) {
            now.addAndGet(d.toNanos());
        }
    }

    /** Records what fencing asked of the host. */
    static final class RecordingFenceOps implements FenceOps {
        final List<Path> stopped = Collections.synchronizedList(new ArrayList<>());

        @Override
        public List<String> stopWriters(Path mountPoint, String volumeName) {
            stopped.add(mountPoint);
            return List.of("writer-of-" + mountPoint.getFileName());
        }

        @Override
        public void unmountLazy(Path mountPoint) {
        }
    }

    @TempDir
    Path dir;
    private SqliteStateStore store;
    private ControllerService controller;
    private final ManualClock clock = new ManualClock();
    private final RecordingFenceOps fenceA = new RecordingFenceOps();
    private NodeService a;
    private NodeService b;
    private ServiceRegistry services;

    @BeforeEach
    void up() {
        store = SqliteStateStore.open(dir.resolve("state"));
        services = new ServiceRegistry(Map.of("local", new DirDriver(dir.resolve("dirs"), new LinuxHostOps())), "local");
        controller = new ControllerService(store, new JsonCodec(), services,
                new VolumeDefaults(64L << 20, FsType.EXT4), TTL, Clock.systemUTC(), Checkpoints.NONE,
                Duration.ofMinutes(1), GRACE, clock);
        controller.register(new Node("a", "", "test"));
        controller.register(new Node("b", "", "test"));
        a = node("a", fenceA);
        b = node("b", FenceOps.NONE);
        controller.create(new CreateVolume("db", null, "64M", null, Map.of()));
    }

    private NodeService node(String id, FenceOps ops) {
        return new NodeService(controller, id, services, new LinuxHostOps(),
                new MountLayout(dir.resolve("mnt-" + id), "local"), Checkpoints.NONE,
                GrantBook.open(dir.resolve("grants-" + id + ".json"), new JsonCodec()), ops, Duration.ofSeconds(10), clock);
    }

    @AfterEach
    void down() {
        store.close();
    }

    private static final VolumeRef DB = new VolumeRef("db", null);

    private String id() {
        return controller.inspect(DB).id();
    }

    private void kill(String node) {
        long lease = store.get(StateKeys.node(node)).orElseThrow().lease();
        store.revoke(lease);
    }

    @Test
    void aLiveHolderIsRefusedAndNotTakenOverEvenAfterTheWait() {
        a.mount(DB, "c1");
        long before = clock.now.get();
        AttachedElsewhere e = assertThrows(AttachedElsewhere.class, () -> b.mount(DB, "c2"));
        assertEquals("a", e.holder());
        // The holder's lease did not lose the time b waited (on b's clock): it is renewed, so it is
        // alive, and b gives up at the second look instead of waiting the whole takeover wait.
        assertTrue(clock.now.get() - before < Duration.ofSeconds(10).toNanos(), "waited the whole takeover wait");
        assertEquals("a", controller.inspect(DB).node());
        assertEquals(1, controller.inspect(DB).epoch());
        assertTrue(controller.events(null, 10).isEmpty());
    }

    @Test
    void aDeadHoldersVolumeIsTakenOverOnlyAfterTheGraceWithTheEpochBumpedAndAnEvent() {
        a.mount(DB, "c1");
        kill("a");
        long slept = clock.slept.get();
        String path = b.mount(DB, "c2");
        assertTrue(path.endsWith("/data"), path);
        assertTrue(clock.slept.get() - slept >= GRACE.toNanos(), "the takeover did not wait the grace");
        var view = controller.inspect(DB);
        assertEquals("b", view.node());
        assertEquals(2, view.epoch());
        // The old holder's records of the volume went in the same transaction.
        assertTrue(controller.attachment("a", id()).isEmpty());
        assertTrue(controller.refs("a", id()).isEmpty());
        assertEquals(List.of("c2"), controller.refs("b", id()));
        List<Event> events = controller.events(DB, 10);
        assertEquals(1, events.size());
        Event e = events.get(0);
        assertEquals(Event.TAKEOVER, e.kind());
        assertEquals("a", e.from());
        assertEquals("b", e.to());
        assertEquals(2, e.epoch());
        assertTrue(e.reason().contains("lease ended") && e.reason().contains("cannot revoke"), e.reason());
        assertEquals(1, view.events().size(), "inspect shows the fail-over");
    }

    @Test
    void aStaleGrantIsRefusedForEveryNodeSideWriteAndNothingIsWritten() {
        a.mount(DB, "c1");
        Grant old = controller.nodeState("a").claims().get(id());
        kill("a");
        b.mount(DB, "c2");
        Attachment att = new Attachment(id(), "/x", false, "/y");
        Fenced f = assertThrows(Fenced.class, () -> controller.putAttachment(old, att));
        assertEquals("b", f.holder());
        assertTrue(f.getMessage().contains("moved from node a"), f.getMessage());
        assertThrows(Fenced.class, () -> controller.addRef(old, "late"));
        assertThrows(Fenced.class, () -> controller.recordMount(old, att, "late", null));
        assertTrue(controller.attachment("a", id()).isEmpty());
        assertTrue(controller.refs("a", id()).isEmpty());
        // A release with the old grant leaves the new holder's claim alone.
        controller.release(old);
        assertEquals("b", controller.inspect(DB).node());
    }

    @Test
    void aForgedGrantWithTheHoldersRevisionIsRefused() {
        a.mount(DB, "c1");
        Grant real = controller.nodeState("a").claims().get(id());
        Grant forged = new Grant(real.volumeId(), "b", real.epoch(), real.revision(), false, null);
        assertThrows(Fenced.class, () -> controller.addRef(forged, "mine"));
        assertTrue(controller.refs("b", id()).isEmpty());
    }

    @Test
    void theOldHolderGivesTheVolumeUpWhenItSeesItLostItAndReportsWhat() {
        a.mount(DB, "c1");
        kill("a");
        b.mount(DB, "c2");
        controller.register(new Node("a", "", "test")); // a is back, under a new lease
        assertTrue(a.holdsAny());
        a.checkLostGrants();
        assertFalse(a.holdsAny());
        assertEquals(1, fenceA.stopped.size(), "a stopped the writers of its copy");
        a.reportGivenUp();
        List<Event> events = controller.events(DB, 10);
        assertEquals(Event.GAVE_UP, events.getLast().kind());
        assertEquals("a", events.getLast().from());
        assertTrue(events.getLast().reason().contains("moved from node a"), events.getLast().reason());
        assertEquals("b", controller.inspect(DB).node(), "a's report released nothing of b's");
    }

    @Test
    void aRestartedAgentChecksItsGrantFileFirstAndGivesUpWhatMovedOn() {
        a.mount(DB, "c1");
        kill("a");
        b.mount(DB, "c2");
        controller.register(new Node("a", "", "test"));
        NodeService restarted = node("a", fenceA); // the same grant file
        assertTrue(restarted.holdsAny());
        List<String> report = restarted.checkGrants();
        assertEquals(1, report.size());
        assertTrue(report.get(0).contains("gave up volume db"), report.get(0));
        assertFalse(restarted.holdsAny());
        assertFalse(node("a", fenceA).holdsAny(), "the file was rewritten");
    }

    @Test
    void aNodeThatRegisteredAgainKeepsWhatNobodyTookUnderItsNewLease() {
        a.mount(DB, "c1");
        Grant before = controller.nodeState("a").claims().get(id());
        kill("a");
        controller.register(new Node("a", "", "test"));
        assertTrue(a.checkGrants().isEmpty());
        Grant after = controller.nodeState("a").claims().get(id());
        assertEquals(before.epoch(), after.epoch());
        assertNotEquals(before.revision(), after.revision());
        a.mount(DB, "c3"); // the new grant works
        assertEquals(List.of("c1", "c3"), controller.refs("a", id()).stream().sorted().toList());
    }

    @Test
    void preemptTakesFromALiveHolderAtOnceAndTheHolderIsToldToFence() {
        a.mount(DB, "c1");
        long slept = clock.slept.get();
        b.mount(DB, "c2", true);
        // a never reports here (nothing drives its checks): the preemption waited for it at most
        // the lease TTL + grace, then handed the volume on.
        long waited = clock.slept.get() - slept;
        assertTrue(waited >= TTL.toNanos() && waited <= TTL.plus(GRACE).plusSeconds(1).toNanos(), "waited " + waited);
        assertEquals("b", controller.inspect(DB).node());
        assertEquals(Event.PREEMPT, controller.events(DB, 10).getLast().kind());
        Map<String, String> lost = controller.lostGrants("a", List.of(
                GrantBook.open(dir.resolve("grants-a.json"), new JsonCodec()).all().get(0)));
        assertTrue(lost.get(id()).contains("moved from node a"), lost.toString());
    }

    @Test
    void aRemoveReleasesADeadHoldersClaimAndMountReferencesAfterTheGrace() {
        a.mount(DB, "c1");
        assertThrows(dev.berth.core.error.Busy.class, () -> controller.remove(DB), "a live holder keeps it");
        kill("a");
        long slept = clock.slept.get();
        controller.remove(DB);
        assertTrue(clock.slept.get() - slept >= GRACE.toNanos());
        assertTrue(controller.list(null).isEmpty());
        assertEquals(Event.RELEASE_DEAD, controller.events(null, 10).getLast().kind());
    }

    @Test
    void selfFencingFiresAtLastAckPlusTtlMinusMarginOncePerOutage() {
        AtomicBoolean cut = new AtomicBoolean();
        AtomicInteger fired = new AtomicInteger();
        ControlPlane flaky = (ControlPlane) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ControlPlane.class}, (proxy, m, args) -> {
                    if (m.getName().equals("heartbeat") && cut.get()) {
                        throw new Unavailable("cut off", "");
                    }
                    try {
                        return m.invoke(controller, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        NodeSession s = new NodeSession(flaky, new Node("a", "", "test"), clock, Duration.ofSeconds(1));
        s.onDeadline(fired::incrementAndGet);
        s.beat();
        cut.set(true);
        clock.advance(Duration.ofSeconds(10));
        s.beat(); // fails: lastAck stays
        clock.advance(TTL.minus(Duration.ofSeconds(11)).minusMillis(1));
        assertFalse(s.check(), "fired before lastAck + TTL - margin");
        assertEquals(0, fired.get());
        clock.advance(Duration.ofMillis(2));
        assertTrue(s.check());
        assertFalse(s.check(), "once per outage");
        assertEquals(1, fired.get());
        cut.set(false);
        s.beat();
        clock.advance(TTL.minus(Duration.ofMillis(999)));
        assertTrue(s.check(), "armed again after an acknowledged renewal");
        assertEquals(2, fired.get());
    }

    @Test
    void selfFencingGivesUpEveryVolumeWithoutAskingTheController() {
        a.mount(DB, "c1");
        List<String> report = a.selfFence("test");
        assertEquals(1, report.size());
        assertFalse(a.holdsAny());
        assertEquals(1, fenceA.stopped.size());
        // Nothing was reported yet: the controller is what could not be reached; the claim is a's still.
        assertEquals("a", controller.inspect(DB).node());
        a.reportGivenUp();
        assertEquals("available", controller.inspect(DB).status());
    }
}
