package dev.berth.core.node;

import dev.berth.core.error.Busy;
import dev.berth.core.spi.HostOps;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Freezes a mounted filesystem around one piece of work, with a deadline: a frozen filesystem
 * blocks every writer on it, so it is thawed at the deadline even if the work is still running
 * (or hung). Work that finishes after the thaw did not see a still filesystem: its result is
 * discarded and the call refused.
 */
final class Freezer {
    private static final Logger LOG = Logger.getLogger(Freezer.class.getName());
    private final HostOps host;
    private final Duration deadline;

    Freezer(HostOps host, Duration deadline) {
        this.host = java.util.Objects.requireNonNull(host, "host");
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("freeze deadline must be positive: " + deadline);
        }
        this.deadline = deadline;
    }

    /** The freezes running now, by mount point: what {@link #thawNow} must mark as cut short. */
    private final java.util.concurrent.ConcurrentHashMap<Path, AtomicBoolean> active = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Thaws {@code mountPoint} at once, for fencing: writers blocked on a frozen filesystem cannot
     * even be killed, and the node must give the volume up before its lease ends. A copy running
     * under that freeze is then discarded like one that outlived its deadline. A filesystem that is
     * not frozen is left as it is.
     */
    void thawNow(Path mountPoint) {
        AtomicBoolean late = active.get(mountPoint);
        if (late != null) {
            late.set(true);
        }
        thawQuietly(mountPoint);
    }

    <T> T whileFrozen(Path mountPoint, String volume, Supplier<T> work, Consumer<T> discard) {
        AtomicBoolean late = new AtomicBoolean();
        if (active.putIfAbsent(mountPoint, late) != null) {
            throw new Busy("volume " + volume + " is being copied already (its filesystem is frozen for that copy)",
                    "retry once that copy is done");
        }
        try {
            return frozen(mountPoint, volume, work, discard, late);
        } finally {
            active.remove(mountPoint, late);
        }
    }

    private <T> T frozen(Path mountPoint, String volume, Supplier<T> work, Consumer<T> discard, AtomicBoolean late) {
        host.freeze(mountPoint);
        AtomicBoolean thawed = new AtomicBoolean();
        Thread timer = Thread.ofVirtual().name("thaw-" + volume).start(() -> {
            try {
                Thread.sleep(deadline);
            } catch (InterruptedException e) {
                return; // the work ended first
            }
            if (thawed.compareAndSet(false, true)) {
                late.set(true);
                LOG.warning("thawed volume " + volume + " at " + mountPoint + " at the freeze deadline ("
                        + deadline.toSeconds() + " s) while its copy was still running; that copy is discarded");
                thawQuietly(mountPoint);
            }
        });
        T result;
        try {
            result = work.get();
        } finally {
            if (thawed.compareAndSet(false, true)) {
                timer.interrupt();
                host.thaw(mountPoint);
            } else {
                joinQuietly(timer); // it is thawing right now: answer only after the thaw
            }
        }
        if (late.get()) {
            try {
                discard.accept(result);
            } catch (RuntimeException e) {
                LOG.warning("could not discard the late copy of volume " + volume + ": " + e.getMessage());
            }
            throw new Busy("the copy of volume " + volume + " took longer than the freeze deadline ("
                    + deadline.toSeconds() + " s), so its filesystem was thawed before it ended and the copy was discarded",
                    "take it while the volume is unmounted, or on a pool with reflinks (xfs, btrfs), where a copy is instant");
        }
        return result;
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void thawQuietly(Path mountPoint) {
        try {
            host.thaw(mountPoint);
        } catch (dev.berth.core.error.NotSupported e) {
            // a host without freezes never froze it
        } catch (RuntimeException e) {
            LOG.warning("could not thaw " + mountPoint + ": " + e.getMessage() + "; run `fsfreeze --unfreeze "
                    + mountPoint + "`");
        }
    }
}
