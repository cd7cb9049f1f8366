package dev.berth.core.controller;

import dev.berth.core.error.Busy;
import dev.berth.core.ha.Monotonic;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How long this controller has seen a claim's holder dead. A takeover waits the grace from the
 * first time THIS controller saw the holder's lease gone (at that claim revision), on its own
 * monotonic clock: no wall clock and no other controller's memory is trusted, and a controller that
 * starts (or takes over a request) mid-way simply waits the whole grace again.
 */
final class GraceClock {
    private static final int MAX_TRACKED = 10_000;
    private final Monotonic clock;
    private final Duration grace;
    private final Map<String, Long> firstSeenDead = new ConcurrentHashMap<>();

    GraceClock(Monotonic clock, Duration grace) {
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace must not be negative: " + grace);
        }
        this.clock = clock;
        this.grace = grace;
    }

    Duration grace() {
        return grace;
    }

    /** Blocks until the grace has passed since this controller first saw the claim's holder dead. */
    void await(String volumeId, long claimRevision) {
        if (firstSeenDead.size() > MAX_TRACKED) {
            firstSeenDead.clear(); // only ever makes a later takeover wait longer
        }
        long seen = firstSeenDead.computeIfAbsent(volumeId + "@" + claimRevision, k -> clock.nanos());
        long left = seen + grace.toNanos() - clock.nanos();
        if (left > 0) {
            try {
                clock.sleep(Duration.ofNanos(left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Busy("interrupted while waiting for the takeover grace", "try again");
            }
        }
    }

    /**
     * Waits, polling every 100 ms, until {@code done} or {@code bound} has passed on this clock;
     * returns whether it was done.
     */
    boolean waitUntil(java.util.function.BooleanSupplier done, Duration bound) {
        long until = clock.nanos() + bound.toNanos();
        while (!done.getAsBoolean()) {
            if (clock.nanos() - until >= 0) {
                return false;
            }
            try {
                clock.sleep(Duration.ofMillis(100));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    void done(String volumeId, long claimRevision) {
        firstSeenDead.remove(volumeId + "@" + claimRevision);
    }
}
