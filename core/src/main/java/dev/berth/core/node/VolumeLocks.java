package dev.berth.core.node;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One lock per volume so that two operations on the same volume never interleave on this node —
 * e.g. two Docker Mounts racing to attach and format (REX-Ray #1284). Other nodes are kept out by
 * claims.
 */
final class VolumeLocks {
    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    <T> T with(String volumeId, Supplier<T> work) {
        ReentrantLock lock = locks.computeIfAbsent(volumeId, k -> new ReentrantLock());
        lock.lock();
        try {
            return work.get();
        } finally {
            lock.unlock();
        }
    }
}
