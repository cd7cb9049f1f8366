package dev.berth.app.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.controller.ControllerService;
import dev.berth.core.error.Busy;
import dev.berth.core.ha.Monotonic;
import dev.berth.core.model.Attachment;
import dev.berth.core.model.Capacity;
import dev.berth.core.model.ContentSource;
import dev.berth.core.model.Device;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Grant;
import dev.berth.core.model.Node;
import dev.berth.core.model.SnapshotReservation;
import dev.berth.core.model.VolumeSpec;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.CreateSnapshot;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.SnapshotPolicy;
import dev.berth.core.service.SnapshotRef;
import dev.berth.core.service.StateKeys;
import dev.berth.core.service.VolumeDefaults;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.spi.NodeDriver;
import dev.berth.core.spi.Progress;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StorageDriver;
import dev.berth.store.embedded.SqliteStateStore;
import dev.berth.store.json.JsonCodec;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules of a consistent copy, without root: one controller over the real embedded store,
 * nodes "a" and "b" that speak to it as agents do (claims, attachments, mount records), and a
 * block backend that only keeps which objects exist (the data path has its own tests: SnapshotIT
 * and the drivers' tests). A manual clock drives the grace.
 */
class SnapshotRulesTest {
    private static final VolumeRef DB = new VolumeRef("db", null);
    private static final String REF = "docker:" + "0".repeat(64);

    @TempDir
    Path dir;
    private SqliteStateStore store;
    private ControllerService controller;
    private final Clocks clock = new Clocks();
    private final Backend backend = new Backend();
    private String id;

    /** A block backend that records objects and copies by name; its copy method is settable. */
    static final class Backend implements StorageDriver {
        final Set<String> objects = ConcurrentHashMap.newKeySet();
        volatile String method = "copy";
        volatile Runnable duringCopy = () -> { };

        @Override public String kind() { return "block-test"; }
        @Override public boolean blockDevices() { return true; }
        @Override public String create(String volumeId, VolumeSpec spec) { objects.add(volumeId); return volumeId; }
        @Override public void remove(String backendId) { objects.remove(backendId); }
        @Override public boolean exists(String backendId) { return objects.contains(backendId); }
        @Override public Capacity capacity() { return new Capacity(1L << 40, 1L << 40); }
        @Override public Map<String, String> describe(String backendId) { return Map.of(); }
        @Override public Optional<String> backendIdOf(String volumeId) { return Optional.of(volumeId); }
        @Override public Optional<String> copyMethod() { return Optional.of(method); }
        @Override public Optional<String> snapshotBackendIdOf(String snapshotId) { return Optional.of("snap-" + snapshotId); }

        @Override
        public String snapshot(String backendId, String snapshotId, Progress progress) {
            duringCopy.run();
            objects.add("snap-" + snapshotId);
            return "snap-" + snapshotId;
        }

        @Override public void removeSnapshot(String b) { objects.remove(b); }
        @Override public boolean snapshotExists(String b) { return objects.contains(b); }

        @Override
        public String createFrom(String volumeId, VolumeSpec spec, Source source, Progress progress) {
            duringCopy.run();
            objects.add(volumeId);
            return volumeId;
        }

        @Override
        public NodeDriver node() {
            return new NodeDriver() {
                @Override public Device attach(String backendId) { throw new UnsupportedOperationException(); }
                @Override public Optional<Device> attached(String backendId) { return Optional.empty(); }
                @Override public void detach(String backendId) { }
                @Override public Set<String> attachedBackends() { return Set.of(); }
            };
        }
    }

    static final class Clocks implements Monotonic {
        final AtomicLong now = new AtomicLong(1_000_000_000L);
        @Override public long nanos() { return now.get(); }
        @Override public void sleep(Duration d) { now.addAndGet(d.toNanos()); }
    }

    @BeforeEach
    void up() {
        store = SqliteStateStore.open(dir.resolve("state"));
        ServiceRegistry services = new ServiceRegistry(Map.of("local", backend), "local");
        controller = new ControllerService(store, new JsonCodec(), services, new VolumeDefaults(64L << 20, FsType.EXT4),
                Duration.ofSeconds(30), Clock.systemUTC(), Checkpoints.NONE, Duration.ofMinutes(1), Duration.ofSeconds(2),
                clock);
        controller.register(new Node("a", "", "test"));
        controller.register(new Node("b", "", "test"));
        id = controller.create(new CreateVolume("db", null, "64M", null, Map.of())).id();
    }

    @AfterEach
    void down() {
        store.close();
    }

    private Grant mountedOn(String node) {
        Grant g = controller.claim(id, node, false, false);
        controller.recordMount(g, new Attachment(id, "/dev/loop99", true, "/mnt/" + node), REF, "ext4");
        return g;
    }

    private Grant attachedRawOn(String node) {
        Grant g = controller.claim(id, node, true, false);
        controller.putAttachment(g, new Attachment(id, "/dev/loop99", true, null));
        return g;
    }

    private List<String> snapshotKeys() {
        List<String> keys = new ArrayList<>();
        for (String prefix : List.of(StateKeys.SNAPSHOTS, StateKeys.SNAPSHOT_NAMES, StateKeys.SNAPSHOTTING)) {
            store.list(prefix).forEach(kv -> keys.add(kv.key()));
        }
        return keys;
    }

    private String take(String name, String frozenBy) {
        return controller.snapshot(new CreateSnapshot(DB, name, frozenBy), Progress.NONE).consistency();
    }

    @Test
    void aVolumeNobodyHasAttachedIsCopiedClean() {
        assertEquals("clean", take("s", null));
    }

    @Test
    void aVolumeMountedOnALiveNodeIsCopiedOnlyWhenThatNodeFroze() {
        mountedOn("a");
        Busy e = assertThrows(Busy.class, () -> take("s", null));
        assertTrue(e.getMessage().contains("mounted on node a"), e.getMessage());
        assertThrows(Busy.class, () -> take("s", "b"), "b cannot freeze what a has mounted");
        assertEquals(List.of(), snapshotKeys(), "a refusal leaves nothing behind");
        assertEquals(Set.of(id), backend.objects);
        assertEquals("frozen", take("s", "a"));
        Busy clone = assertThrows(Busy.class, () -> controller.create(new CreateVolume("c", null, null, null, Map.of(),
                ContentSource.volume("db"), null), Progress.NONE));
        assertTrue(clone.getMessage().contains("mounted on node a"), clone.getMessage());
        assertEquals("volume:" + id, controller.volume(controller.create(new CreateVolume("c", null, null, null, Map.of(),
                ContentSource.volume("db"), "a"), Progress.NONE).id()).orElseThrow().origin());
    }

    @Test
    void aRawDeviceIsCopiedOnlyByAnAtomicReflink() {
        attachedRawOn("a");
        Busy e = assertThrows(Busy.class, () -> take("s", null));
        assertTrue(e.getMessage().contains("raw device"), e.getMessage());
        backend.method = "reflink";
        assertEquals("crash-consistent", take("s", null));
    }

    @Test
    void aDeadHoldersVolumeIsCopiedAsItLeftIt() {
        mountedOn("a");
        store.revoke(store.get(StateKeys.node("a")).orElseThrow().lease());
        assertEquals("crash-consistent", take("s", null));
    }

    @Test
    void aVolumeClaimedDuringTheCopyIsNotRecordedFromThatCopy() {
        backend.duringCopy = () -> {
            backend.duringCopy = () -> { };
            attachedRawOn("b"); // b attaches it while the byte copy runs
        };
        Busy e = assertThrows(Busy.class, () -> take("s", null));
        assertTrue(e.getMessage().contains("raw device"), e.getMessage());
        assertEquals(List.of(), snapshotKeys());
        assertEquals(Set.of(id), backend.objects, "the copy made under the old claim was removed");
    }

    @Test
    void aCutOffSnapshotIsDroppedByTheReconcileNotFinished() {
        SnapshotReservation r = new SnapshotReservation("f".repeat(32), id, "cut", "controller-x",
                Instant.now().minus(Duration.ofHours(1)), 0);
        store.txn(List.of(), List.of(new StateStore.Op.Put(StateKeys.snapshotting(id, "cut"), new JsonCodec().encode(r),
                StateStore.NO_LEASE)));
        backend.objects.add("snap-" + r.snapshotId());
        var report = controller.reconcile();
        assertTrue(report.lines().stream().anyMatch(l -> l.contains("dropped snapshot db@cut")), report.lines().toString());
        assertEquals(List.of(), snapshotKeys());
        assertEquals(Set.of(id), backend.objects);
        assertEquals("clean", take("cut", null), "the name is free again");
    }

    @Test
    void removePoliciesAndSnapshotsThatOutliveTheirVolume() {
        take("one", null);
        take("two", null);
        Busy e = assertThrows(Busy.class, () -> controller.remove(DB));
        assertTrue(e.getMessage().contains("[one, two]"), e.getMessage());
        controller.removeById(id); // CSI's DeleteVolume keeps them
        assertEquals(2, controller.snapshots(null).size());
        assertTrue(controller.snapshots(DB).stream().noneMatch(s -> s.volumeExists()));
        String restored = controller.create(new CreateVolume("db", null, null, null, Map.of(),
                ContentSource.snapshot("db@one"), null), Progress.NONE).id();
        // A new volume of the old name: its snapshot of the same name is told apart by volume.
        controller.snapshot(new CreateSnapshot(DB, "one", null), Progress.NONE);
        assertEquals(restored, controller.inspectSnapshot(SnapshotRef.parse("db@one")).volumeId());
        assertThrows(dev.berth.core.error.InvalidArgument.class, () -> controller.inspectSnapshot(SnapshotRef.parse("one")));
        assertEquals(List.of("db@one"), controller.remove(DB, SnapshotPolicy.DELETE));
        assertEquals(2, controller.snapshots(null).size(), "the old volume's two stay");
    }
}
