package dev.berth.core.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.OutOfCapacity;
import dev.berth.core.model.Capacity;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Volume;
import dev.berth.core.model.VolumeSpec;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.StateKeys;
import dev.berth.core.spi.NodeDriver;
import dev.berth.core.spi.StateStore;
import dev.berth.core.testing.MemoryStateStore;
import java.nio.charset.StandardCharsets;
import dev.berth.core.spi.StorageDriver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The accounting rule alone, with a backend whose numbers the test sets (the real pool is in
 * CapacityIT): like a pool of sparse files, creating a volume changes neither free nor allocated.
 */
class CapacityCheckTest {
    static final long MIB = 1L << 20;

    /** A backend with fixed numbers, counting how often it is asked what its volumes occupy. */
    static final class Pool implements StorageDriver {
        long total = 1024 * MIB;
        long free;
        long allocated;
        OptionalDouble ratio = OptionalDouble.of(1.0);
        boolean duFails;
        final AtomicInteger allocatedCalls = new AtomicInteger();

        Pool(long free) {
            this.free = free;
        }

        @Override public String kind() { return "loop"; }
        @Override public boolean blockDevices() { return true; }
        @Override public String create(String volumeId, VolumeSpec spec) { return volumeId + ".img"; }
        @Override public void remove(String backendId) { }
        @Override public boolean exists(String backendId) { return true; }
        @Override public Capacity capacity() { return new Capacity(total, free); }
        @Override public Map<String, String> describe(String backendId) { return Map.of(); }
        @Override public NodeDriver node() { throw new UnsupportedOperationException(); }
        @Override public OptionalDouble overcommit() { return ratio; }

        @Override
        public long allocatedBytes(Collection<String> backendIds) {
            allocatedCalls.incrementAndGet();
            if (duFails) {
                throw new BackendFailure("du failed (exit 1): du: cannot access", "");
            }
            return allocated;
        }
    }

    final List<Volume> records = new CopyOnWriteArrayList<>();
    /** Reservations live in the store, as ControllerService keeps them: creating/<service>/<name> = size. */
    final MemoryStateStore store = new MemoryStateStore();

    CapacityCheck check(Pool pool) {
        return new CapacityCheck(store, new ServiceRegistry(Map.of("local", pool), "local"), service -> records.stream()
                .filter(v -> v.service().equals(service)).toList(),
                service -> store.list(StateKeys.CREATING + service + "/").stream().map(kv -> spec(
                        kv.key().substring(kv.key().lastIndexOf('/') + 1),
                        Long.parseLong(new String(kv.value(), StandardCharsets.UTF_8)))).toList());
    }

    /** Stores the reservation with the guard the check hands over; false if a compare failed. */
    boolean reserve(CapacityCheck c, Pool pool, VolumeSpec s) {
        return c.reserve(pool, s, (compares, ops) -> {
            List<StateStore.Op> all = new ArrayList<>(ops);
            all.add(new StateStore.Op.Put(StateKeys.creating("local", s.name()),
                    Long.toString(s.sizeBytes()).getBytes(StandardCharsets.UTF_8), StateStore.NO_LEASE));
            return store.txn(compares, all).succeeded() ? Optional.of(true) : Optional.<Boolean>empty();
        }).isPresent();
    }

    void drop(String name) {
        store.delete(StateKeys.creating("local", name));
    }

    static VolumeSpec spec(String name, long size) {
        return new VolumeSpec(name, "local", size, FsType.EXT4, Map.of());
    }

    /** What ControllerService.create does around the driver: reserve, then turn the reservation into the record. */
    void create(CapacityCheck c, Pool pool, String name, long size) {
        VolumeSpec s = spec(name, size);
        assertTrue(reserve(c, pool, s), "reserved " + name);
        records.add(new Volume(name + "-id", name, "local", "loop", name + ".img", size, FsType.EXT4, Map.of(),
                Instant.EPOCH, null));
        drop(name);
    }

    /** Issue 7 item 5: three 100M volumes were accepted on a pool with 168 MiB free. */
    @Test
    void theIssuesCaseIsRefused() {
        Pool pool = new Pool(168 * MIB);
        CapacityCheck c = check(pool);
        create(c, pool, "a", 100 * MIB);
        OutOfCapacity e = assertThrows(OutOfCapacity.class, () -> create(c, pool, "b", 100 * MIB));
        assertEquals("a 100.0 MiB volume does not fit in service local next to its volumes' 100.0 MiB (full sizes):"
                + " the pool can hold 168.0 MiB (168.0 MiB free + 0 B its volumes occupy)", e.getMessage());
        assertEquals("ask for at most 68M, remove volumes, or give the pool more space (`berth service ls` shows what"
                + " is committed)", e.hint());
        create(c, pool, "b", 68 * MIB);
        OutOfCapacity full = assertThrows(OutOfCapacity.class, () -> create(c, pool, "c", 16 * MIB));
        assertTrue(full.hint().startsWith("remove volumes or give the pool's filesystem more space"), full.hint());
        assertEquals(2, records.size());
    }

    /** Written data moves space from free to occupied; the rule's sum stays the same. */
    @Test
    void spaceTheVolumesOccupyCountsOnce() {
        Pool pool = new Pool(168 * MIB);
        CapacityCheck c = check(pool);
        create(c, pool, "a", 100 * MIB);
        pool.free = 78 * MIB;
        pool.allocated = 90 * MIB; // 90 MiB written into a
        create(c, pool, "b", 68 * MIB);
        assertThrows(OutOfCapacity.class, () -> create(c, pool, "c", 16 * MIB));
        pool.free = 300 * MIB; // the pool grew
        create(c, pool, "c", 16 * MIB);
    }

    @Test
    void whatTheVolumesOccupyIsOnlyAskedWhenFreeSpaceAloneIsNotEnough() {
        Pool pool = new Pool(1000 * MIB);
        CapacityCheck c = check(pool);
        create(c, pool, "a", 100 * MIB);
        create(c, pool, "b", 100 * MIB);
        assertEquals(0, pool.allocatedCalls.get());
        assertThrows(OutOfCapacity.class, () -> create(c, pool, "c", 900 * MIB));
        assertEquals(1, pool.allocatedCalls.get());
    }

    @Test
    void anUnknownOccupationCountsAsNoneSoTheCheckOnlyGetsStricter() {
        Pool pool = new Pool(100 * MIB);
        pool.allocated = 500 * MIB;
        pool.duFails = true;
        CapacityCheck c = check(pool);
        assertThrows(OutOfCapacity.class, () -> create(c, pool, "a", 101 * MIB));
        pool.duFails = false;
        create(c, pool, "a", 101 * MIB);
    }

    @Test
    void overcommitAllowsAThinPool() {
        Pool pool = new Pool(168 * MIB);
        pool.ratio = OptionalDouble.of(2.5);
        CapacityCheck c = check(pool);
        for (String n : List.of("a", "b", "c", "d")) {
            create(c, pool, n, 100 * MIB);
        }
        OutOfCapacity e = assertThrows(OutOfCapacity.class, () -> create(c, pool, "e", 100 * MIB));
        assertTrue(e.getMessage().endsWith("(168.0 MiB free + 0 B its volumes occupy × overcommit 2.5)"), e.getMessage());
        CapacityCheck.Usage u = c.usage("local");
        assertEquals(400 * MIB, u.committedBytes());
        assertEquals(420 * MIB, u.limitBytes());
        assertEquals(20 * MIB, u.headroomBytes());
    }

    @Test
    void driversThatDoNotEnforceSizesAreNotCounted() {
        Pool dir = new Pool(0);
        dir.ratio = OptionalDouble.empty();
        CapacityCheck c = check(dir);
        create(c, dir, "a", Long.MAX_VALUE / 2);
        create(c, dir, "b", Long.MAX_VALUE / 2);
        create(c, dir, "c", Long.MAX_VALUE / 2);
        assertNull(c.usage("local"));
        assertEquals(0, dir.allocatedCalls.get());
    }

    @Test
    void hugeSizesDoNotWrapAroundIntoFitting() {
        Pool pool = new Pool(Long.MAX_VALUE);
        CapacityCheck c = check(pool);
        create(c, pool, "a", Long.MAX_VALUE / 2);
        create(c, pool, "b", Long.MAX_VALUE / 2);
        assertThrows(OutOfCapacity.class, () -> create(c, pool, "c", Long.MAX_VALUE / 2));
        assertEquals(Long.MAX_VALUE, c.usage("local").limitBytes());
    }

    /** A create in progress holds its size: a second one cannot take the same free space meanwhile. */
    @Test
    void aCreateInProgressIsCounted() {
        Pool pool = new Pool(168 * MIB);
        CapacityCheck c = check(pool);
        assertTrue(reserve(c, pool, spec("a", 100 * MIB)));
        assertThrows(OutOfCapacity.class, () -> reserve(c, pool, spec("b", 100 * MIB)));
        assertEquals(100 * MIB, c.usage("local").committedBytes());
        drop("a"); // a failed: its reservation was dropped
        assertTrue(reserve(c, pool, spec("b", 100 * MIB)));
        drop("b");
        assertEquals(0, c.usage("local").committedBytes());
    }

    /** Between writing its record and dropping its reservation a volume is counted once, not twice. */
    @Test
    void aRecordedCreateIsNotCountedTwice() {
        Pool pool = new Pool(200 * MIB);
        CapacityCheck c = check(pool);
        VolumeSpec a = spec("a", 100 * MIB);
        assertTrue(reserve(c, pool, a));
        records.add(new Volume("a-id", "a", "local", "loop", "a.img", 100 * MIB, FsType.EXT4, Map.of(), Instant.EPOCH,
                null));
        assertEquals(100 * MIB, c.usage("local").committedBytes());
        assertTrue(reserve(c, pool, spec("b", 100 * MIB))); // a is still reserved, but recorded: 200 MiB fit exactly
        assertEquals(200 * MIB, c.usage("local").committedBytes());
        assertThrows(OutOfCapacity.class, () -> reserve(c, pool, spec("c", 16 * MIB)));
    }

    @Test
    void concurrentCreatesNeverOvercommitTogether() throws Exception {
        Pool pool = new Pool(1000 * MIB);
        // Two checks over one store: two controllers, whose JVM locks do not see each other.
        CapacityCheck[] checks = {check(pool), check(pool)};
        int threads = 32;
        CountDownLatch go = new CountDownLatch(1);
        var pool32 = Executors.newFixedThreadPool(threads);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            String name = "v" + i;
            CapacityCheck c = checks[i % 2];
            results.add(pool32.submit(() -> {
                go.await();
                try {
                    create(c, pool, name, 100 * MIB);
                    return true;
                } catch (OutOfCapacity e) {
                    return false;
                }
            }));
        }
        go.countDown();
        int created = 0;
        for (Future<Boolean> f : results) {
            created += f.get() ? 1 : 0;
        }
        pool32.shutdown();
        assertEquals(10, created, "1000 MiB hold ten 100 MiB volumes, whatever the interleaving");
        assertEquals(10, records.size());
    }
}
