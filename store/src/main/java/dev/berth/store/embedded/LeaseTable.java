package dev.berth.store.embedded;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Live leases, their deadlines and the keys bound to them. Deadlines are {@link System#nanoTime}
 * values: the wall clock on these hosts jumps, and a jump must never expire a node's lease.
 * A lease past its deadline is dead to every caller at once, even before the reaper has deleted
 * its keys. Changes happen under the store's write lock; {@link #timeToLive} reads without it.
 */
final class LeaseTable {
    static final class Live {
        final long id;
        final long ttlMillis;
        private volatile long deadline;
        /** Guarded by the store's write lock. */
        final Set<String> keys = new HashSet<>();

        Live(long id, long ttlMillis, long now) {
            this.id = id;
            this.ttlMillis = ttlMillis;
            restart(now);
        }

        void restart(long now) {
            deadline = now + Duration.ofMillis(ttlMillis).toNanos();
        }

        boolean expired(long now) {
            return now - deadline >= 0;
        }

        long nanosLeft(long now) {
            return deadline - now;
        }
    }

    private final Map<Long, Live> live = new ConcurrentHashMap<>();

    void add(Live lease) {
        live.put(lease.id, lease);
    }

    /** The lease if it exists and has not expired, else null. */
    Live alive(long id, long now) {
        Live lease = live.get(id);
        return lease == null || lease.expired(now) ? null : lease;
    }

    /** The lease even if past its deadline (its keys are still to be deleted), else null. */
    Live any(long id) {
        return live.get(id);
    }

    Optional<Duration> timeToLive(long id, long now) {
        Live lease = alive(id, now);
        return lease == null ? Optional.empty() : Optional.of(Duration.ofNanos(Math.max(1, lease.nanosLeft(now))));
    }

    void remove(long id) {
        live.remove(id);
    }

    List<Live> due(long now) {
        List<Live> due = new ArrayList<>();
        for (Live lease : live.values()) {
            if (lease.expired(now)) {
                due.add(lease);
            }
        }
        return due;
    }

    /** How long until the next lease expires; {@code Long.MAX_VALUE} if there is none. */
    long nanosUntilNextDeadline(long now) {
        long next = Long.MAX_VALUE;
        for (Live lease : live.values()) {
            next = Math.min(next, lease.nanosLeft(now));
        }
        return next;
    }

    /** Moves the key's binding from the lease it had to the lease it has now (either may be 0). */
    void rebind(String key, long from, long to) {
        if (from == to) {
            return;
        }
        if (from != 0) {
            Live old = live.get(from);
            if (old != null) {
                old.keys.remove(key);
            }
        }
        if (to != 0) {
            Live now = live.get(to);
            if (now != null) {
                now.keys.add(key);
            }
        }
    }
}
