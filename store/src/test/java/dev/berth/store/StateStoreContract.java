package dev.berth.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StateStore.Compare;
import dev.berth.core.spi.StateStore.KeyValue;
import dev.berth.core.spi.StateStore.Lease;
import dev.berth.core.spi.StateStore.Op;
import dev.berth.core.spi.StateStore.TxnResult;
import dev.berth.core.spi.StateStore.WatchEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link StateStore} must do, written against the interface only, so the embedded store
 * and etcd are interchangeable. A store passes by extending this class unchanged.
 *
 * <p>Rules for the tests here, so that a networked store can pass them too: no transaction has more
 * than 100 operations (etcd's default limit is 128); lease TTLs are at least one second and may be
 * rounded up by the store; time is only ever waited for by polling with a generous limit, and no
 * test asserts how quickly something happens beyond "within seconds".
 */
@SuppressWarnings("try") // watches opened in try-with-resources only to be closed
public abstract class StateStoreContract {
    /** How long anything asynchronous (lease expiry, watch delivery) may take before a test fails. */
    protected static final Duration PATIENCE = Duration.ofSeconds(10);
    private static final Duration SHORT_TTL = Duration.ofSeconds(1);

    /** The store under test; {@link #reopen} replaces it. */
    protected StateStore store;

    /** A fresh, empty store. Called before every test. */
    protected abstract StateStore open();

    /**
     * Closes the store last returned by {@link #open} or {@link #reopen} and opens it again over the
     * same data. Return null if this store cannot be reopened; those tests are then skipped.
     */
    protected abstract StateStore reopen();

    @BeforeEach
    void openStore() {
        store = open();
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    // ---- keys and revisions ---------------------------------------------------------------

    @Test
    void freshStoreHasNoKeys() {
        assertEquals(List.of(), store.list(""));
        assertEquals(Optional.empty(), store.get("volumes/v1"));
        assertTrue(store.revision() >= 0);
    }

    @Test
    void putThenGetReturnsValueAndRevisions() {
        long before = store.revision();
        long first = store.put("volumes/v1", bytes("one"));
        assertEquals(before + 1, first, "a write increases the revision by one");
        assertEquals(first, store.revision());
        KeyValue kv = store.get("volumes/v1").orElseThrow();
        assertEquals("volumes/v1", kv.key());
        assertEquals("one", text(kv.value()));
        assertEquals(first, kv.createRevision());
        assertEquals(first, kv.modRevision());
        assertEquals(StateStore.NO_LEASE, kv.lease());
    }

    @Test
    void overwriteKeepsCreateRevisionAndMovesModRevision() {
        long first = store.put("volumes/v1", bytes("one"));
        long second = store.put("volumes/v1", bytes("two"));
        assertEquals(first + 1, second);
        KeyValue kv = store.get("volumes/v1").orElseThrow();
        assertEquals("two", text(kv.value()));
        assertEquals(first, kv.createRevision());
        assertEquals(second, kv.modRevision());
        assertEquals(second, store.revision());
    }

    @Test
    void revisionsGrowAcrossKeys() {
        long a = store.put("a", bytes("1"));
        long b = store.put("b", bytes("1"));
        store.delete("a");
        long afterDelete = store.revision();
        long c = store.put("c", bytes("1"));
        assertEquals(a + 1, b);
        assertEquals(b + 1, afterDelete, "a delete is a write");
        assertEquals(afterDelete + 1, c);
        assertEquals(b, store.get("b").orElseThrow().modRevision(), "other keys keep their revision");
    }

    @Test
    void valuesAreCopiedInAndOut() {
        byte[] given = bytes("abc");
        store.put("k", given);
        given[0] = 'X';
        byte[] read = store.get("k").orElseThrow().value();
        assertEquals("abc", text(read));
        read[0] = 'Y';
        assertEquals("abc", text(store.get("k").orElseThrow().value()));
        store.list("").get(0).value()[0] = 'Z';
        assertEquals("abc", text(store.get("k").orElseThrow().value()));
    }

    @Test
    void emptyValueIsAValue() {
        store.put("k", new byte[0]);
        assertArrayEquals(new byte[0], store.get("k").orElseThrow().value());
    }

    @Test
    void deleteRemovesKey() {
        store.put("k", bytes("v"));
        store.delete("k");
        assertEquals(Optional.empty(), store.get("k"));
        assertEquals(List.of(), store.list("k"));
    }

    @Test
    void deleteOfMissingKeyIsFineAndWritesNothing() {
        store.put("other", bytes("v"));
        long before = store.revision();
        store.delete("missing");
        assertEquals(before, store.revision(), "nothing changed, so no new revision");
        assertTrue(store.get("other").isPresent());
    }

    // ---- listing ---------------------------------------------------------------------------

    @Test
    void listReturnsKeysUnderPrefixInKeyOrder() {
        for (String key : List.of("names/b/x", "names/a/2", "names/ab/1", "names/a/1", "names/a", "namesake", "nodes/n1", "names/a/10")) {
            store.put(key, bytes(key));
        }
        assertEquals(List.of("names/a", "names/a/1", "names/a/10", "names/a/2", "names/ab/1", "names/b/x"), keys(store.list("names/")));
        assertEquals(List.of("names/a/1", "names/a/10", "names/a/2"), keys(store.list("names/a/")),
                "'names/a/' must not match 'names/ab/...'");
        assertEquals(List.of("names/a", "names/a/1", "names/a/10", "names/a/2", "names/ab/1"), keys(store.list("names/a")));
        assertEquals(List.of(), keys(store.list("names/c")));
        for (KeyValue kv : store.list("names/")) {
            assertEquals(kv.key(), text(kv.value()));
        }
    }

    @Test
    void listWithEmptyPrefixReturnsEverything() {
        store.put("b", bytes("1"));
        store.put("a", bytes("1"));
        store.put("c/d", bytes("1"));
        assertEquals(List.of("a", "b", "c/d"), keys(store.list("")));
    }

    @Test
    void keyOrderIsTheOrderOfUtf8Bytes() {
        // UTF-8 order (etcd's): z < é < U+FFFD < 😀. UTF-16 order would put 😀 before U+FFFD.
        List<String> expected = List.of("k/z", "k/é", "k/\uFFFD", "k/\uD83D\uDE00");
        for (String key : List.of("k/\uD83D\uDE00", "k/\uFFFD", "k/é", "k/z")) {
            store.put(key, bytes("v"));
        }
        assertEquals(expected, keys(store.list("k/")));
        assertEquals("v", text(store.get("k/\uD83D\uDE00").orElseThrow().value()));
    }

    @Test
    void listsTenThousandKeys() {
        List<Op> batch = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            batch.add(new Op.Put("many/%05d".formatted(i), bytes("value " + i), StateStore.NO_LEASE));
            if (batch.size() == 100) {
                assertTrue(store.txn(List.of(), batch).succeeded());
                batch = new ArrayList<>();
            }
        }
        store.put("manz", bytes("outside"));
        List<KeyValue> all = store.list("many/");
        assertEquals(10_000, all.size());
        for (int i = 0; i < all.size(); i++) {
            assertEquals("many/%05d".formatted(i), all.get(i).key());
            assertEquals("value " + i, text(all.get(i).value()));
        }
    }

    // ---- compare-and-swap and transactions --------------------------------------------------

    @Test
    void compareAndPutWithZeroCreatesOnlyWhenAbsent() {
        assertTrue(store.compareAndPut("claims/v1", 0, bytes("node-a"), StateStore.NO_LEASE));
        long rev = store.revision();
        assertFalse(store.compareAndPut("claims/v1", 0, bytes("node-b"), StateStore.NO_LEASE));
        assertEquals("node-a", text(store.get("claims/v1").orElseThrow().value()));
        assertEquals(rev, store.revision(), "a failed compare changes nothing, not even the revision");
    }

    @Test
    void compareAndPutWithStaleRevisionFailsAndChangesNothing() {
        long first = store.put("claims/v1", bytes("epoch 1"));
        long second = store.put("claims/v1", bytes("epoch 2"));
        assertFalse(store.compareAndPut("claims/v1", first, bytes("epoch 3 (stale)"), StateStore.NO_LEASE));
        KeyValue kv = store.get("claims/v1").orElseThrow();
        assertEquals("epoch 2", text(kv.value()));
        assertEquals(second, kv.modRevision());
        assertEquals(second, store.revision());
        assertTrue(store.compareAndPut("claims/v1", second, bytes("epoch 3"), StateStore.NO_LEASE));
        assertEquals("epoch 3", text(store.get("claims/v1").orElseThrow().value()));
        assertEquals(second + 1, store.revision());
    }

    @Test
    void compareAndPutOnAbsentKeyWithNonZeroRevisionFails() {
        long rev = store.put("other", bytes("v"));
        assertFalse(store.compareAndPut("claims/v1", rev, bytes("x"), StateStore.NO_LEASE));
        assertEquals(Optional.empty(), store.get("claims/v1"));
    }

    @Test
    void compareAndDeleteHonoursTheRevision() {
        long first = store.put("k", bytes("1"));
        long second = store.put("k", bytes("2"));
        assertFalse(store.compareAndDelete("k", first));
        assertTrue(store.get("k").isPresent());
        assertEquals(second, store.revision());
        assertTrue(store.compareAndDelete("k", second));
        assertEquals(Optional.empty(), store.get("k"));
        assertEquals(second + 1, store.revision());
    }

    @Test
    void txnAppliesAllOrNothing() {
        long a = store.put("t/a", bytes("a1"));
        long b = store.put("t/b", bytes("b1"));
        store.put("t/d", bytes("d1"));
        long before = store.revision();

        List<Op> ops = List.of(
                new Op.Put("t/a", bytes("a2"), StateStore.NO_LEASE),
                new Op.Put("t/c", bytes("c1"), StateStore.NO_LEASE),
                new Op.Delete("t/d"));
        TxnResult failed = store.txn(List.of(new Compare("t/a", a), new Compare("t/b", 0)), ops);
        assertFalse(failed.succeeded());
        assertEquals(before, failed.revision());
        assertEquals(before, store.revision());
        assertEquals("a1", text(store.get("t/a").orElseThrow().value()));
        assertEquals(Optional.empty(), store.get("t/c"));
        assertTrue(store.get("t/d").isPresent());

        TxnResult done = store.txn(List.of(new Compare("t/a", a), new Compare("t/b", b), new Compare("t/c", 0)), ops);
        assertTrue(done.succeeded());
        assertEquals(before + 1, done.revision(), "one transaction, one revision");
        assertEquals(done.revision(), store.revision());
        assertEquals("a2", text(store.get("t/a").orElseThrow().value()));
        assertEquals(done.revision(), store.get("t/a").orElseThrow().modRevision());
        assertEquals(done.revision(), store.get("t/c").orElseThrow().modRevision());
        assertEquals(done.revision(), store.get("t/c").orElseThrow().createRevision());
        assertEquals(Optional.empty(), store.get("t/d"));
        assertEquals(List.of("t/a", "t/b", "t/c"), keys(store.list("t/")));
    }

    @Test
    void txnWithOnlyComparesReportsWhetherTheyHold() {
        long rev = store.put("k", bytes("v"));
        assertTrue(store.txn(List.of(new Compare("k", rev)), List.of()).succeeded());
        assertFalse(store.txn(List.of(new Compare("k", rev + 1)), List.of()).succeeded());
        assertEquals(rev, store.revision());
    }

    @Test
    void twoOperationsOnOneKeyAreRejected() {
        long before = store.revision();
        assertThrows(InvalidArgument.class, () -> store.txn(List.of(), List.of(
                new Op.Put("dup", bytes("1"), StateStore.NO_LEASE), new Op.Put("other", bytes("1"), StateStore.NO_LEASE),
                new Op.Delete("dup"))));
        assertEquals(Optional.empty(), store.get("other"));
        assertEquals(before, store.revision());
    }

    @Test
    void invalidKeysAreRejected() {
        String longest = "k".repeat(StateStore.MAX_KEY_LENGTH);
        store.put(longest, bytes("ok"));
        assertTrue(store.get(longest).isPresent());
        long before = store.revision();
        for (String bad : List.of("", "a\0b", "k".repeat(StateStore.MAX_KEY_LENGTH + 1))) {
            assertThrows(InvalidArgument.class, () -> store.put(bad, bytes("v")), () -> "put of " + bad.length() + "-char key");
            assertThrows(InvalidArgument.class, () -> store.compareAndPut(bad, 0, bytes("v"), StateStore.NO_LEASE));
            assertThrows(InvalidArgument.class, () -> store.txn(List.of(new Compare(bad, 0)), List.of()));
            assertThrows(InvalidArgument.class, () -> store.delete(bad));
        }
        assertThrows(InvalidArgument.class, () -> store.put(null, bytes("v")));
        assertThrows(InvalidArgument.class, () -> store.get(""));
        assertEquals(before, store.revision());
        assertEquals(1, store.list("").size());
    }

    @Test
    void nullValueIsRejected() {
        assertThrows(InvalidArgument.class, () -> store.put("k", null));
        assertEquals(Optional.empty(), store.get("k"));
    }

    @Test
    @Timeout(120)
    void concurrentCompareAndSwapIncrementsLoseNothing() throws Exception {
        int threads = 8;
        int increments = 200;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    start.await();
                    int conflicts = 0;
                    for (int done = 0; done < increments; ) {
                        Optional<KeyValue> kv = store.get("counter");
                        long n = kv.map(v -> Long.parseLong(text(v.value()))).orElse(0L);
                        long expected = kv.map(KeyValue::modRevision).orElse(0L);
                        if (store.compareAndPut("counter", expected, bytes(Long.toString(n + 1)), StateStore.NO_LEASE)) {
                            done++;
                        } else {
                            conflicts++;
                        }
                    }
                    return conflicts;
                }));
            }
            start.countDown();
            for (Future<Integer> result : results) {
                result.get(100, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(threads * increments, Long.parseLong(text(store.get("counter").orElseThrow().value())));
    }

    // ---- leases ----------------------------------------------------------------------------

    @Test
    void grantReturnsDistinctPositiveIds() {
        Set<Long> ids = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            Lease lease = store.grant(Duration.ofSeconds(30));
            assertTrue(lease.id() > 0, "lease ids are positive");
            assertTrue(lease.ttl().compareTo(Duration.ofSeconds(30)) >= 0, "the TTL is at least the one asked for");
            assertTrue(ids.add(lease.id()), "lease ids are not reused");
        }
    }

    @Test
    void grantRejectsTtlUnderOneSecond() {
        assertThrows(InvalidArgument.class, () -> store.grant(Duration.ofMillis(999)));
        assertThrows(InvalidArgument.class, () -> store.grant(Duration.ZERO));
        assertThrows(InvalidArgument.class, () -> store.grant(Duration.ofSeconds(-5)));
        assertThrows(InvalidArgument.class, () -> store.grant(null));
    }

    @Test
    void timeToLiveCountsDown() {
        Lease lease = store.grant(Duration.ofSeconds(30));
        Duration left = store.timeToLive(lease.id()).orElseThrow();
        assertTrue(left.compareTo(Duration.ZERO) > 0, "time left is positive: " + left);
        assertTrue(left.compareTo(lease.ttl()) <= 0, "time left " + left + " is at most the TTL " + lease.ttl());
        assertEquals(Optional.empty(), store.timeToLive(lease.id() + 1_000_000));
    }

    @Test
    void keysVanishWhenTheirLeaseExpires() {
        Lease lease = store.grant(SHORT_TTL);
        long put = store.put("plain", bytes("stays"));
        assertTrue(store.compareAndPut("nodes/n1", 0, bytes("alive"), lease.id()));
        assertTrue(store.txn(List.of(), List.of(new Op.Put("claims/v1", bytes("n1"), lease.id()))).succeeded());
        assertEquals(lease.id(), store.get("nodes/n1").orElseThrow().lease());

        await("leased keys deleted", () -> store.get("nodes/n1").isEmpty() && store.get("claims/v1").isEmpty());
        assertTrue(store.get("plain").isPresent());
        assertTrue(store.revision() > put + 2, "the expiry is a write");
        assertEquals(Optional.empty(), store.timeToLive(lease.id()));
        assertThrows(NotFound.class, () -> store.keepAlive(lease.id()));
    }

    @Test
    void keepAliveKeepsKeysPastSeveralTtls() throws InterruptedException {
        Lease lease = store.grant(Duration.ofSeconds(2));
        putLeased("nodes/n1", bytes("alive"), lease.id());
        long end = System.nanoTime() + lease.ttl().multipliedBy(3).toNanos();
        while (System.nanoTime() < end) {
            store.keepAlive(lease.id());
            assertTrue(store.get("nodes/n1").isPresent(), "a key whose lease is kept alive stays");
            Thread.sleep(100); // pacing of the renewals, not a timing assertion: 20 renewals per TTL
        }
        assertTrue(store.timeToLive(lease.id()).isPresent());
        store.revoke(lease.id());
    }

    @Test
    void revokeDeletesKeysAtOnce() {
        Lease lease = store.grant(Duration.ofSeconds(60));
        putLeased("nodes/n1", bytes("alive"), lease.id());
        putLeased("mounts/n1/v1/a", bytes("1"), lease.id());
        store.put("plain", bytes("stays"));
        long before = store.revision();
        store.revoke(lease.id());
        assertEquals(Optional.empty(), store.get("nodes/n1"));
        assertEquals(Optional.empty(), store.get("mounts/n1/v1/a"));
        assertTrue(store.get("plain").isPresent());
        assertEquals(before + 1, store.revision(), "all of a lease's keys go in one write");
        assertEquals(Optional.empty(), store.timeToLive(lease.id()));
        assertThrows(NotFound.class, () -> store.keepAlive(lease.id()));
        store.revoke(lease.id()); // again: ignored
        store.revoke(lease.id() + 1_000_000); // unknown: ignored
    }

    @Test
    void putWithRevokedLeaseFailsWholeTxn() {
        Lease lease = store.grant(Duration.ofSeconds(60));
        store.revoke(lease.id());
        long before = store.revision();
        assertThrows(NotFound.class, () -> store.txn(List.of(), List.of(
                new Op.Put("first", bytes("1"), StateStore.NO_LEASE),
                new Op.Put("second", bytes("2"), lease.id()))));
        assertThrows(NotFound.class, () -> store.compareAndPut("third", 0, bytes("3"), lease.id()));
        assertEquals(Optional.empty(), store.get("first"));
        assertEquals(Optional.empty(), store.get("second"));
        assertEquals(Optional.empty(), store.get("third"));
        assertEquals(before, store.revision());
    }

    @Test
    void putWithUnknownLeaseIsNotFound() {
        Lease real = store.grant(Duration.ofSeconds(60));
        assertThrows(NotFound.class, () -> putLeased("k", bytes("v"), real.id() + 1_000_000));
        assertEquals(Optional.empty(), store.get("k"));
    }

    @Test
    void putWithExpiredLeaseIsNotFound() {
        Lease lease = store.grant(SHORT_TTL);
        await("lease expired", () -> store.timeToLive(lease.id()).isEmpty());
        assertThrows(NotFound.class, () -> putLeased("k", bytes("v"), lease.id()));
        assertThrows(NotFound.class, () -> store.keepAlive(lease.id()));
        assertEquals(Optional.empty(), store.get("k"));
    }

    @Test
    void overwritingAKeyWithoutLeaseUnbindsIt() {
        Lease lease = store.grant(Duration.ofSeconds(60));
        putLeased("k", bytes("leased"), lease.id());
        store.put("k", bytes("free"));
        assertEquals(StateStore.NO_LEASE, store.get("k").orElseThrow().lease());
        store.revoke(lease.id());
        assertEquals("free", text(store.get("k").orElseThrow().value()));
    }

    @Test
    void keyMovedToAnotherLeaseFollowsTheNewOne() {
        Lease first = store.grant(Duration.ofSeconds(60));
        Lease second = store.grant(Duration.ofSeconds(60));
        putLeased("k", bytes("v"), first.id());
        putLeased("k", bytes("v"), second.id());
        store.revoke(first.id());
        assertTrue(store.get("k").isPresent());
        store.revoke(second.id());
        assertEquals(Optional.empty(), store.get("k"));
    }

    @Test
    void deletedAndRecreatedKeyIsNotBoundToTheOldLease() {
        Lease lease = store.grant(Duration.ofSeconds(60));
        putLeased("k", bytes("v"), lease.id());
        store.delete("k");
        store.put("k", bytes("again"));
        store.revoke(lease.id());
        assertEquals("again", text(store.get("k").orElseThrow().value()));
    }

    // ---- watches ---------------------------------------------------------------------------

    @Test
    void watchSeesPutsAndDeletesUnderItsPrefixInOrder() {
        store.put("w/before", bytes("not seen: written before the watch"));
        Recorder seen = new Recorder();
        try (StateStore.Watch ignored = store.watch("w/", seen)) {
            long r1 = store.put("w/a", bytes("1"));
            store.put("x/b", bytes("other prefix"));
            store.put("wx", bytes("not under w/"));
            long r2 = store.put("w/b", bytes("2"));
            store.delete("w/a");
            long r3 = store.revision();
            TxnResult txn = store.txn(List.of(), List.of(
                    new Op.Put("w/c", bytes("3"), StateStore.NO_LEASE),
                    new Op.Put("x/d", bytes("other"), StateStore.NO_LEASE),
                    new Op.Put("w/b", bytes("4"), StateStore.NO_LEASE)));
            long end = store.put("w/end", bytes("last"));

            seen.awaitKey("w/end");
            List<WatchEvent> events = seen.events();
            // Within one transaction, events come in the order of its operations (etcd does the same).
            assertEquals(List.of("PUT w/a", "PUT w/b", "DELETE w/a", "PUT w/c", "PUT w/b", "PUT w/end"),
                    events.stream().map(e -> e.type() + " " + e.kv().key()).toList());
            assertEquals(List.of(r1, r2, r3, txn.revision(), txn.revision(), end),
                    events.stream().map(e -> e.kv().modRevision()).toList());
            assertEquals("1", text(events.get(0).kv().value()));
            assertEquals("3", text(events.get(3).kv().value()));
            assertEquals("4", text(events.get(4).kv().value()));
        }
    }

    @Test
    void watchSeesLeaseExpiryAndRevokeAsDeletes() {
        Recorder seen = new Recorder();
        try (StateStore.Watch ignored = store.watch("nodes/", seen)) {
            Lease short1 = store.grant(SHORT_TTL);
            long put = putLeased("nodes/n1", bytes("alive"), short1.id());
            seen.awaitKeyType("nodes/n1", WatchEvent.Type.DELETE);
            Lease revoked = store.grant(Duration.ofSeconds(60));
            putLeased("nodes/n2", bytes("alive"), revoked.id());
            store.revoke(revoked.id());
            seen.awaitKeyType("nodes/n2", WatchEvent.Type.DELETE);

            List<WatchEvent> events = seen.events();
            assertEquals(List.of("PUT nodes/n1", "DELETE nodes/n1", "PUT nodes/n2", "DELETE nodes/n2"),
                    events.stream().map(e -> e.type() + " " + e.kv().key()).toList());
            assertTrue(events.get(1).kv().modRevision() > put, "the expiry has its own revision");
            assertInRevisionOrder(events);
        }
    }

    @Test
    void closedWatchGetsNoMoreEvents() {
        Recorder closedOne = new Recorder();
        Recorder openOne = new Recorder();
        StateStore.Watch watch = store.watch("c/", closedOne);
        try (StateStore.Watch ignored = store.watch("c/", openOne)) {
            store.put("c/1", bytes("1"));
            closedOne.awaitKey("c/1");
            openOne.awaitKey("c/1");
            watch.close();
            watch.close(); // idempotent
            store.put("c/2", bytes("2"));
            store.put("c/3", bytes("3"));
            openOne.awaitKey("c/3");
            assertEquals(List.of("c/1"), closedOne.events().stream().map(e -> e.kv().key()).toList());
        }
    }

    @Test
    @Timeout(60)
    void slowListenerBlocksNeitherWritersNorOtherWatches() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<WatchEvent> slowSeen = new CopyOnWriteArrayList<>();
        Recorder fast = new Recorder();
        try (StateStore.Watch slow = store.watch("s/", event -> {
                 try {
                     release.await();
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
                 slowSeen.add(event);
             });
             StateStore.Watch ignored = store.watch("s/", fast)) {
            for (int i = 0; i < 50; i++) {
                store.put("s/%02d".formatted(i), bytes("v"));
            }
            fast.awaitKey("s/49");
            assertEquals(50, fast.events().size());
            assertTrue(slowSeen.isEmpty(), "the slow listener is still stuck on its first event");
            release.countDown();
            await("slow watch catches up", () -> slowSeen.size() == 50);
            assertInRevisionOrder(slowSeen);
        }
    }

    @Test
    void listenerThatThrowsStillGetsLaterEvents() {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (StateStore.Watch ignored = store.watch("e/", event -> {
            seen.add(event.kv().key());
            if (event.kv().key().equals("e/1")) {
                throw new IllegalStateException("listener bug, on purpose");
            }
        })) {
            store.put("e/1", bytes("1"));
            store.put("e/2", bytes("2"));
            await("second event delivered", () -> seen.contains("e/2"));
            assertEquals(List.of("e/1", "e/2"), List.copyOf(seen));
        }
    }

    @Test
    void listenerMayWriteToTheStore() {
        try (StateStore.Watch ignored = store.watch("in/", event -> {
            if (event.type() == WatchEvent.Type.PUT) {
                store.put("out/" + event.kv().key().substring(3), event.kv().value());
            }
        })) {
            store.put("in/x", bytes("echo"));
            await("listener's own write visible", () -> store.get("out/x").isPresent());
        }
    }

    // ---- persistence -----------------------------------------------------------------------

    @Test
    void dataRevisionsAndLeasesSurviveReopen() {
        Lease lease = store.grant(Duration.ofSeconds(60));
        long first = store.put("volumes/v1", bytes("spec 1"));
        store.put("volumes/v2", bytes("spec 2"));
        store.delete("volumes/v2");
        putLeased("nodes/n1", bytes("alive"), lease.id());
        long revision = store.revision();

        StateStore reopened = reopen();
        Assumptions.assumeTrue(reopened != null, "this store cannot be reopened");
        store = reopened;

        assertEquals(revision, store.revision());
        KeyValue v1 = store.get("volumes/v1").orElseThrow();
        assertEquals("spec 1", text(v1.value()));
        assertEquals(first, v1.createRevision());
        assertEquals(first, v1.modRevision());
        assertEquals(Optional.empty(), store.get("volumes/v2"));
        assertEquals(List.of("nodes/n1", "volumes/v1"), keys(store.list("")));
        assertEquals(lease.id(), store.get("nodes/n1").orElseThrow().lease());

        assertTrue(store.timeToLive(lease.id()).isPresent(), "the lease survived");
        store.keepAlive(lease.id());
        assertEquals(revision + 1, store.put("volumes/v3", bytes("spec 3")), "the revision continues");
        Lease next = store.grant(Duration.ofSeconds(60));
        assertNotEquals(lease.id(), next.id(), "lease ids are not reused after reopen");
        store.revoke(lease.id());
        assertEquals(Optional.empty(), store.get("nodes/n1"), "the reopened lease still owns its key");
    }

    @Test
    void expiredLeaseStaysExpiredAcrossReopen() {
        Lease lease = store.grant(SHORT_TTL);
        putLeased("nodes/n1", bytes("alive"), lease.id());
        await("lease expired", () -> store.get("nodes/n1").isEmpty());
        StateStore reopened = reopen();
        Assumptions.assumeTrue(reopened != null, "this store cannot be reopened");
        store = reopened;
        assertEquals(Optional.empty(), store.get("nodes/n1"));
        assertEquals(Optional.empty(), store.timeToLive(lease.id()));
        assertThrows(NotFound.class, () -> store.keepAlive(lease.id()));
    }

    // ---- helpers ---------------------------------------------------------------------------

    /** A put bound to a lease (the interface's own put has none). Returns the new revision. */
    protected long putLeased(String key, byte[] value, long lease) {
        return store.txn(List.of(), List.of(new Op.Put(key, value, lease))).revision();
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    protected static String text(byte[] b) {
        return new String(b, UTF_8);
    }

    protected static List<String> keys(List<KeyValue> kvs) {
        return kvs.stream().map(KeyValue::key).toList();
    }

    /** Polls every 20 ms until {@code condition} holds; fails after {@link #PATIENCE}. */
    protected static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("gave up waiting after " + PATIENCE.toSeconds() + "s: " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while waiting: " + what);
            }
        }
    }

    private static void assertInRevisionOrder(List<WatchEvent> events) {
        for (int i = 1; i < events.size(); i++) {
            assertTrue(events.get(i - 1).kv().modRevision() <= events.get(i).kv().modRevision(),
                    "events out of revision order at " + i + ": " + events);
        }
    }

    /** Collects watch events; thread-safe. */
    protected static final class Recorder implements java.util.function.Consumer<WatchEvent> {
        private final List<WatchEvent> events = new CopyOnWriteArrayList<>();

        public Recorder() {
        }

        @Override
        public void accept(WatchEvent event) {
            events.add(event);
        }

        public List<WatchEvent> events() {
            return List.copyOf(events);
        }

        public void awaitKey(String key) {
            await("watch event for " + key, () -> events.stream().anyMatch(e -> e.kv().key().equals(key)));
        }

        public void awaitKeyType(String key, WatchEvent.Type type) {
            await("watch " + type + " event for " + key,
                    () -> events.stream().anyMatch(e -> e.kv().key().equals(key) && e.type() == type));
        }
    }
}
