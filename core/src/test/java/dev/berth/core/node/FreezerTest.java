package dev.berth.core.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.Busy;
import dev.berth.core.spi.HostOps;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The freeze around a copy: thawed exactly once, at the end or at the deadline; a copy that ends
 * after a thaw it did not do (the deadline's, or fencing's) is discarded and refused. No timing is
 * asserted: the "slow" copies wait until the thaw has happened.
 */
class FreezerTest {
    private static final Path MP = Path.of("/mnt/v");

    /** Records freeze and thaw calls; any other host call fails the test. */
    static final class Host {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final CountDownLatch thawed = new CountDownLatch(1);
        final HostOps ops = (HostOps) Proxy.newProxyInstance(HostOps.class.getClassLoader(), new Class<?>[] {HostOps.class},
                (proxy, m, args) -> {
                    switch (m.getName()) {
                        case "freeze" -> calls.add("freeze " + args[0]);
                        case "thaw" -> {
                            calls.add("thaw " + args[0]);
                            thawed.countDown();
                        }
                        default -> throw new AssertionError("unexpected host call " + m.getName());
                    }
                    return null;
                });
    }

    @Test
    void aQuickCopyIsFrozenAndThawedOnce() {
        Host h = new Host();
        String r = new Freezer(h.ops, Duration.ofMinutes(5)).whileFrozen(MP, "v", () -> {
            assertEquals(List.of("freeze " + MP), h.calls, "frozen during the work");
            return "copy";
        }, x -> { throw new AssertionError("discarded"); });
        assertEquals("copy", r);
        assertEquals(List.of("freeze " + MP, "thaw " + MP), h.calls);
    }

    @Test
    void aCopyThatOutlivesTheDeadlineIsThawedUnderItAndDiscarded() {
        Host h = new Host();
        AtomicReference<String> discarded = new AtomicReference<>();
        Busy e = assertThrows(Busy.class, () -> new Freezer(h.ops, Duration.ofMillis(20)).whileFrozen(MP, "v", () -> {
            await(h.thawed); // the deadline's thaw comes while the copy still runs
            return "late copy";
        }, discarded::set));
        assertTrue(e.getMessage().contains("freeze deadline"), e.getMessage());
        assertEquals("late copy", discarded.get());
        assertEquals(List.of("freeze " + MP, "thaw " + MP), h.calls, "thawed once, by the deadline");
    }

    @Test
    void fencingThawsAtOnceAndTheCopyIsDiscarded() throws Exception {
        Host h = new Host();
        Freezer f = new Freezer(h.ops, Duration.ofMinutes(5));
        CountDownLatch inCopy = new CountDownLatch(1);
        CountDownLatch fenced = new CountDownLatch(1);
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        AtomicReference<String> discarded = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                f.whileFrozen(MP, "v", () -> {
                    inCopy.countDown();
                    await(fenced);
                    return "copy";
                }, discarded::set);
            } catch (Throwable x) {
                outcome.set(x);
            }
        });
        await(inCopy);
        Busy again = assertThrows(Busy.class, () -> f.whileFrozen(MP, "v", () -> "second", x -> { }));
        assertTrue(again.getMessage().contains("being copied already"), again.getMessage());
        f.thawNow(MP);
        fenced.countDown();
        t.join();
        assertTrue(outcome.get() instanceof Busy, String.valueOf(outcome.get()));
        assertEquals("copy", discarded.get());
        assertEquals("freeze " + MP, h.calls.getFirst());
        assertTrue(h.calls.stream().allMatch(c -> c.startsWith("thaw") || c.startsWith("freeze")));
    }

    @Test
    void aFailedCopyIsThawedAndItsErrorPassedOn() {
        Host h = new Host();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new Freezer(h.ops, Duration.ofMinutes(5))
                .whileFrozen(MP, "v", () -> { throw new IllegalStateException("copy failed"); }, x -> { }));
        assertEquals("copy failed", e.getMessage());
        assertEquals(List.of("freeze " + MP, "thaw " + MP), h.calls);
    }

    private static void await(CountDownLatch l) {
        try {
            assertTrue(l.await(60, TimeUnit.SECONDS), "waited a minute");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
