package dev.berth.core.ha;

import dev.berth.core.error.BerthException;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.service.StateKeys;
import dev.berth.core.spi.StateStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This controller's registration: {@code controllers/<id>} bound to a lease of its own, kept alive
 * by a loop of single keep-alive calls, one per TTL/3 (the store gives each call its deadline). A
 * controller that dies stops renewing; the store deletes the key, and every job lead bound to the
 * same lease, one TTL after the last renewal.
 *
 * <p>The controller trusts its own lease only until {@code sent + TTL − margin}, where {@code sent}
 * is the monotonic time the last successful keep-alive was <em>sent</em> (the store restarted the
 * TTL no earlier than that, so the store cannot expire the lease before {@code sent + TTL}). The
 * margin ({@link #margin}, TTL/5) is the time a leader may still take, after its last check, to
 * finish what it started; see docs/architecture.md, "Controllers and leadership". A hung call
 * never extends the trust: it is computed from the clock, not from the loop's progress.
 *
 * <p>The loop runs on a platform thread of its own. Request work runs on virtual threads, which
 * share a few carrier threads and pin them during native calls (SQLite, FFM mount calls): a burst
 * of such work could delay a virtual renewal loop past the TTL. An OS thread is scheduled by the
 * kernel whatever the pool does.
 */
public final class ControllerLease implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ControllerLease.class.getName());
    private final StateStore store;
    private final String id;
    private final String key;
    private final byte[] value;
    private final Duration ttl;
    private final long ttlNanos;
    private final long marginNanos;
    private final Thread loop;
    private volatile State state;
    private volatile boolean stopping;

    /** The lease this controller holds now and the monotonic time until which it trusts it. */
    record State(long leaseId, long trustedUntil) {
        boolean trusted(long now) {
            return leaseId != StateStore.NO_LEASE && now - trustedUntil < 0;
        }
    }

    private ControllerLease(StateStore store, String id, String description, Duration ttl) {
        if (ttl.compareTo(Duration.ofMillis(300)) < 0) {
            throw new InvalidArgument("a controller lease TTL of " + ttl.toMillis() + " ms is too short",
                    "use leaseTtl of at least 1s (etcd raises anything below 2s)");
        }
        this.store = store;
        this.id = ControllerIds.check(id);
        this.key = StateKeys.controller(id);
        this.value = description.getBytes(StandardCharsets.UTF_8);
        this.ttl = ttl;
        this.ttlNanos = ttl.toNanos();
        this.marginNanos = margin(ttl).toNanos();
        this.state = new State(StateStore.NO_LEASE, System.nanoTime());
        this.loop = Thread.ofPlatform().name("berth-controller-lease " + id).daemon().unstarted(this::run);
    }

    /**
     * Registers {@code controllers/<id>} now (so a store that cannot be used fails the start) and
     * starts renewing it.
     *
     * @param id          unique among the controllers sharing the store, for this process's life
     *                    (see {@link ControllerIds#fresh})
     * @param description what {@code controllers/<id>} holds, for people reading the store
     */
    public static ControllerLease register(StateStore store, String id, String description, Duration ttl) {
        ControllerLease lease = new ControllerLease(store, id, description, ttl);
        if (!lease.registerOnce()) {
            throw new NotFound("the lease for controller " + id + " expired while it registered",
                    "the state store is too slow for leaseTtl " + ttl + "; raise leaseTtl");
        }
        lease.loop.start();
        return lease;
    }

    /** How long before the store could expire the lease this controller stops trusting it: TTL/5. */
    public static Duration margin(Duration ttl) {
        return ttl.dividedBy(5);
    }

    public String id() {
        return id;
    }

    public Duration ttl() {
        return ttl;
    }

    /** The lease held now; {@link StateStore#NO_LEASE} while it is lost and not yet replaced. */
    public long leaseId() {
        return state.leaseId();
    }

    /** Whether this controller may act on its lease now (monotonic clock, margin included). */
    public boolean trusted() {
        return state.trusted(System.nanoTime());
    }

    /** Whether {@code leaseId} is the lease held now and still trusted. */
    public boolean trusts(long leaseId) {
        State s = state;
        return s.leaseId() == leaseId && s.trusted(System.nanoTime());
    }

    /** Grants a fresh lease and binds {@code controllers/<id>} to it; false if that failed. */
    private boolean registerOnce() {
        long sent = System.nanoTime();
        StateStore.Lease lease = store.grant(ttl);
        try {
            store.txn(List.of(), List.of(new StateStore.Op.Put(key, value, lease.id())));
        } catch (NotFound expired) {
            return false;
        }
        state = new State(lease.id(), sent + ttlNanos - marginNanos);
        return true;
    }

    private void run() {
        long lastSent = System.nanoTime();
        boolean failing = false;
        while (!stopping) {
            long next = lastSent + ttlNanos / 3;
            long now;
            while (!stopping && (now = System.nanoTime()) - next < 0) {
                LockSupport.parkNanos(this, next - now);
            }
            if (stopping) {
                return;
            }
            lastSent = System.nanoTime();
            State s = state;
            try {
                if (s.leaseId() == StateStore.NO_LEASE) {
                    if (registerOnce()) {
                        LOG.info("controller " + id + " registered again with a new lease");
                    }
                } else {
                    store.keepAlive(s.leaseId());
                    if (state == s) {
                        state = new State(s.leaseId(), lastSent + ttlNanos - marginNanos);
                    }
                }
                if (failing) {
                    LOG.info("controller " + id + " renews its lease again");
                    failing = false;
                }
            } catch (NotFound lost) {
                // Expired at the store: the registration and every job lead are gone already.
                state = new State(StateStore.NO_LEASE, lastSent);
                LOG.warning("controller " + id + " lost its lease (not renewed within " + ttl.toMillis()
                        + " ms); it leads nothing until it has registered again");
                lastSent -= ttlNanos / 3; // register again right away
            } catch (BerthException | IllegalStateException e) {
                if (!failing) {
                    LOG.log(Level.WARNING, "controller " + id + " cannot renew its lease (will retry every "
                            + ttl.dividedBy(3).toMillis() + " ms; it stops leading "
                            + TimeUnit.NANOSECONDS.toMillis(s.trustedUntil() - System.nanoTime()) + " ms from now): "
                            + e.getMessage());
                    failing = true;
                }
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "controller " + id + ": unexpected error renewing its lease", e);
            }
        }
    }

    /**
     * Stops renewing without revoking, as if this process had died: the registration and every lead
     * end when the store expires the lease. What a test uses to kill a controller.
     */
    public void abandon() {
        stopping = true;
        LockSupport.unpark(loop);
        try {
            loop.join(ttl.toMillis() * 2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops renewing and revokes the lease: other controllers take over this one's jobs at once. */
    @Override
    public void close() {
        abandon();
        long leaseId = state.leaseId();
        state = new State(StateStore.NO_LEASE, System.nanoTime());
        if (leaseId != StateStore.NO_LEASE) {
            try {
                store.revoke(leaseId);
            } catch (RuntimeException e) {
                LOG.warning("controller " + id + " could not revoke its lease; its jobs move when it expires: " + e);
            }
        }
    }
}
