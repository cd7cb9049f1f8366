package dev.berth.core.service;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One lock per volume (by service and name) so that two operations on the same volume never
 * interleave in this process — e.g. two Docker Mounts racing to attach and format (REX-Ray #1284).
 * Other processes are kept out by claims in the store.
 */
final class VolumeLocks {
    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    <T> T with(String service, String name, Supplier<T> work) {
        ReentrantLock lock = locks.computeIfAbsent(service + "/" + name, k -> new ReentrantLock());
        lock.lock();
        try {
            return work.get();
        } finally {
            lock.unlock();
        }
    }
}
