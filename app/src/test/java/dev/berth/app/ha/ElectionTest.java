package dev.berth.app.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.ha.ControllerLease;
import dev.berth.core.ha.Election;
import dev.berth.core.ha.LeaderJobs;
import dev.berth.core.service.StateKeys;
import dev.berth.core.spi.StateStore;
import dev.berth.store.embedded.SqliteStateStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leader election for background jobs, on the real embedded store (the same SPI etcd implements):
 * several controller participants over one store, one of them killed (its lease abandoned, not
 * revoked, as a crash leaves it) at a time. An overlap detector inside the job proves there are
 * never two leaders at once; no assertion depends on timing. No root needed.
 */
class ElectionTest {
    private static final Duration POLL = Duration.ofMillis(100);
    private static final String JOB = "test-job";

    @TempDir
    Path dir;
    StateStore store;
    final List<AutoCloseable> open = new ArrayList<>();
    /** Who is inside the job right now; a second one entering is an overlap. */
    final AtomicReference<String> inside = new AtomicReference<>();
    final List<String> overlaps = new CopyOnWriteArrayList<>();
    final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

    @BeforeEach
    void open() {
        store = openStore();
    }

    /** The store the test reads and writes through (and, embedded, the participants too). */
    protected StateStore openStore() {
        return SqliteStateStore.open(dir.resolve("state"));
    }

    /** The store one participant uses: one shared object here; a client of its own on etcd. */
    protected StateStore participantStore() {
        return store;
    }

    protected Duration ttl() {
        return Duration.ofSeconds(1);
    }

    protected int rounds() {
        return 6;
    }

    @AfterEach
    void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        store.close();
    }

    record Participant(String id, ControllerLease lease, Election election, LeaderJobs jobs) {
        int runs(ElectionTest t) {
            return t.runs.get(id).get();
        }
    }

    Participant participant(String id) {
        StateStore own = participantStore();
        ControllerLease lease = ControllerLease.register(own, id, "test controller " + id, ttl());
        Election election = new Election(own, lease);
        LeaderJobs jobs = new LeaderJobs(election, POLL);
        open.add(lease);
        open.add(jobs);
        runs.put(id, new AtomicInteger());
        jobs.every(JOB, Duration.ofMillis(50), () -> {
            String other = inside.compareAndExchange(null, id);
            if (other != null) {
                overlaps.add(id + " ran while " + other + " was running");
                return;
            }
            try {
                runs.get(id).incrementAndGet();
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inside.compareAndSet(id, null);
            }
        });
        return new Participant(id, lease, election, jobs);
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "never happened: " + what);
            Thread.sleep(10);
        }
    }

    Participant leader(List<Participant> ps) {
        String id = new Election(store, ps.getFirst().lease()).leader(JOB).orElseThrow();
        return ps.stream().filter(p -> p.id().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void theJobMovesWhenItsLeaderDiesAndNeverRunsTwiceAtOnce() throws Exception {
        List<Participant> ps = new ArrayList<>(List.of(participant("c0"), participant("c1"), participant("c2")));
        List<Long> handovers = new ArrayList<>();
        for (int round = 0; round < rounds(); round++) {
            await("someone leads and runs the job", () -> ps.stream().anyMatch(p -> p.runs(this) > 0
                    && p.election().leader(JOB).orElse("").equals(p.id())));
            Participant dead = leader(ps);
            // When the store deletes the dead leader's registration, it must already distrust its
            // lease: it stops before anyone can take over (watch events come after the delete).
            AtomicBoolean trustedAtExpiry = new AtomicBoolean();
            AtomicBoolean expired = new AtomicBoolean();
            try (StateStore.Watch w = store.watch(StateKeys.controller(dead.id()), e -> {
                if (e.type() == StateStore.WatchEvent.Type.DELETE) {
                    trustedAtExpiry.set(dead.lease().trusted());
                    expired.set(true);
                }
            })) {
                long killed = System.nanoTime();
                dead.lease().abandon();
                ps.remove(dead);
                Map<String, Integer> before = new java.util.HashMap<>();
                ps.forEach(p -> before.put(p.id(), p.runs(this)));
                await("another controller runs the job", () -> ps.stream().anyMatch(p -> p.runs(this) > before.get(p.id())));
                handovers.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
                await("the dead leader's registration expires", expired::get);
            }
            assertFalse(trustedAtExpiry.get(), "the dead leader still trusted its lease when the store expired it");
            int deadRuns = dead.runs(this);
            assertFalse(dead.election().lead(JOB).isPresent(), "a deposed leader does not lead");
            Participant next = leader(ps);
            assertNotEquals(dead.id(), next.id());
            int nextRuns = next.runs(this);
            await("the new leader keeps running the job", () -> next.runs(this) > nextRuns + 2);
            assertEquals(deadRuns, dead.runs(this), "the deposed leader's runner no longer runs the job");
            ps.add(participant("c" + (round + 3)));
        }
        System.out.println(getClass().getSimpleName() + " hand-over after the leader died, TTL " + ttl().toMillis() + " ms, poll "
                + POLL.toMillis() + " ms (ms): " + handovers);
        assertEquals(List.of(), overlaps, "two leaders ran the job at once");
    }

    @Test
    void aLeaderWhoseLeaseIsRevokedStopsLeadingAndRegistersAgain() throws Exception {
        Participant a = participant("a");
        await("a runs the job", () -> a.runs(this) > 0);
        Participant b = participant("b");
        long oldLease = a.lease().leaseId();
        store.revoke(oldLease); // the store ends a's lease early (an operator, a lost etcd lease)
        await("b takes the job over", () -> b.runs(this) > 0);
        await("a registers again under a new lease", () -> a.lease().trusted() && a.lease().leaseId() != oldLease);
        assertTrue(store.get(StateKeys.controller("a")).isPresent(), "a's registration is back");
        int aRuns = a.runs(this);
        int bRuns = b.runs(this);
        await("b keeps running the job", () -> b.runs(this) > bRuns + 2);
        assertEquals(aRuns, a.runs(this), "a follows now: it never runs the job while b leads");
        assertEquals("b", b.election().leader(JOB).orElseThrow());
    }

    @Test
    void aJobThatThrowsIsLoggedAndRunsAgain() throws Exception {
        StateStore own = participantStore();
        ControllerLease lease = ControllerLease.register(own, "solo", "test", ttl());
        open.add(lease);
        LeaderJobs jobs = new LeaderJobs(new Election(own, lease), POLL);
        open.add(jobs);
        AtomicInteger calls = new AtomicInteger();
        jobs.every("failing-job", Duration.ofMillis(20), () -> {
            calls.incrementAndGet();
            throw new IllegalStateException("a job bug");
        });
        await("the failing job runs again and again", () -> calls.get() >= 3);
    }

    @Test
    void aCleanCloseHandsTheJobOverAtOnce() throws Exception {
        Participant a = participant("a");
        await("a runs the job", () -> a.runs(this) > 0);
        Participant b = participant("b");
        a.jobs().close();
        a.lease().close(); // revokes: leaders/<job> goes with it, no TTL to wait
        assertFalse(store.get(StateKeys.controller("a")).isPresent(), "a's registration is gone at once");
        assertFalse(store.get(StateKeys.leader(JOB)).filter(kv -> new String(kv.value()).equals("a")).isPresent());
        await("b takes the job over", () -> b.runs(this) > 0);
    }
}
