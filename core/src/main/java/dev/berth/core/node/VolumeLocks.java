package dev.berth.core.node;

import dev.berth.core.service.KeyedLocks;
import java.util.function.Supplier;

/**
 * One lock per volume so that two operations on the same volume never interleave on this node —
 * e.g. two Docker Mounts racing to attach and format (REX-Ray #1284). Other nodes are kept out by
 * claims. A volume's lock is dropped with its last user, so the locks never outgrow the volumes in use.
 */
final class VolumeLocks {
    private final KeyedLocks locks = new KeyedLocks();

    <T> T with(String volumeId, Supplier<T> work) {
        return locks.with(volumeId, work);
    }

    /** Volumes with a lock now (for tests). */
    int size() {
        return locks.size();
    }
}
