package dev.berth.core.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class KeyedLocksTest {
    private final KeyedLocks locks = new KeyedLocks();

    @Test
    void fortyThousandNamesLeaveNothingBehind() {
        for (int i = 0; i < 40_000; i++) {
            locks.with("local/name-" + i, () -> {
                assertEquals(1, locks.size(), "only the key in use has a lock");
                return null;
            });
        }
        assertEquals(0, locks.size());
    }

    @Test
    void aFailingWorkReleasesItsLockToo() {
        for (int i = 0; i < 1000; i++) {
            try {
                locks.with("k" + i, () -> {
                    throw new IllegalStateException("refused");
                });
            } catch (IllegalStateException expected) {
                // as a refused create would
            }
        }
        assertEquals(0, locks.size());
        assertEquals("free", locks.with("k1", () -> "free"), "the lock of a failed work is free again");
    }

    @Test
    @Timeout(60)
    void twoThreadsOnOneKeyNeverOverlapAndTheEntryGoesWithTheLast() throws Exception {
        AtomicInteger inside = new AtomicInteger();
        AtomicBoolean overlapped = new AtomicBoolean();
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 20_000; i++) {
                        locks.with("local/shared", () -> {
                            if (inside.incrementAndGet() != 1) {
                                overlapped.set(true);
                            }
                            if (runs.incrementAndGet() % 1000 == 0) {
                                Thread.yield(); // let the other thread queue up behind the lock
                            }
                            inside.decrementAndGet();
                            return null;
                        });
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(50, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertFalse(overlapped.get(), "two threads were inside the lock of one key at once");
        assertEquals(40_000, runs.get());
        assertEquals(0, locks.size());
    }

    @Test
    @Timeout(30)
    void aWaiterKeepsTheEntryAliveUntilItHasRun() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread first = Thread.ofPlatform().start(() -> locks.with("v", () -> {
            holding.countDown();
            await(release);
            return null;
        }));
        holding.await();
        AtomicBoolean secondRan = new AtomicBoolean();
        Thread second = Thread.ofPlatform().start(() -> locks.with("v", () -> {
            secondRan.set(true);
            return null;
        }));
        while (second.getState() != Thread.State.WAITING) {
            Thread.sleep(1);
        }
        assertEquals(1, locks.size());
        assertFalse(secondRan.get(), "the second user waits for the first");
        release.countDown();
        first.join();
        second.join();
        assertTrue(secondRan.get());
        assertEquals(0, locks.size());
    }

    @Test
    void theSameThreadMayTakeItsKeyAgain() {
        assertEquals("nested", locks.with("v", () -> locks.with("v", () -> {
            assertEquals(1, locks.size());
            return "nested";
        })));
        assertEquals(0, locks.size());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
