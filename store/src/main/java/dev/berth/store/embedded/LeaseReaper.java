package dev.berth.store.embedded;

import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Deletes the keys of expired leases soon after their deadline. It naps until the next deadline
 * but never longer than {@link #MAX_NAP}, so a lease is reaped at most that long after it expires.
 * A platform thread: its work is JNI calls into SQLite and fsyncs, which would pin a carrier anyway.
 */
final class LeaseReaper implements AutoCloseable {
    static final long MAX_NAP = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MIN_NAP = TimeUnit.MILLISECONDS.toNanos(1);
    private static final System.Logger LOG = System.getLogger(LeaseReaper.class.getName());

    private final LongSupplier nanosUntilNextDeadline;
    private final Runnable expireDue;
    private final Thread thread;
    private volatile boolean stopped;

    LeaseReaper(String name, LongSupplier nanosUntilNextDeadline, Runnable expireDue) {
        this.nanosUntilNextDeadline = nanosUntilNextDeadline;
        this.expireDue = expireDue;
        this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this::run);
    }

    LeaseReaper start() {
        thread.start();
        return this;
    }

    private void run() {
        boolean failing = false;
        while (!stopped) {
            long nap = Math.clamp(nanosUntilNextDeadline.getAsLong(), MIN_NAP, MAX_NAP);
            LockSupport.parkNanos(this, nap);
            if (stopped) {
                return;
            }
            try {
                expireDue.run();
                failing = false;
            } catch (RuntimeException e) {
                // Typically a full or failing disk; retried on the next nap, logged once per streak.
                if (!failing) {
                    LOG.log(Level.WARNING, "cannot delete the keys of expired leases; will retry", e);
                }
                failing = true;
            }
        }
    }

    @Override
    public void close() {
        stopped = true;
        LockSupport.unpark(thread);
        if (Thread.currentThread() != thread) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
