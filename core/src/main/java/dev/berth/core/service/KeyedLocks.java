package dev.berth.core.service;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One lock per key (a volume id, a service/name pair) that exists only while someone holds or waits
 * for it: the entry counts its users and the last one out removes it, both inside
 * {@link ConcurrentHashMap#compute}, so the map holds only the keys in use. Without that, every
 * name ever tried stays in memory (40,000 refused creates kept 10 MB). Unlike a fixed array of
 * striped locks, two keys never wait for each other.
 */
public final class KeyedLocks {
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        /** Holders and waiters; only read and written inside compute() on this entry's key. */
        int users;
    }

    /** The lock of {@code key}, held until the returned handle is closed (use try-with-resources). */
    public Held lock(String key) {
        Entry entry = entries.compute(key, (k, old) -> {
            Entry e = old == null ? new Entry() : old;
            e.users++;
            return e;
        });
        try {
            entry.lock.lock();
        } catch (RuntimeException | Error e) {
            release(key);
            throw e;
        }
        return new Held(this, key, entry);
    }

    /** Runs {@code work} under the lock of {@code key}. */
    public <T> T with(String key, Supplier<T> work) {
        Held held = lock(key);
        try {
            return work.get();
        } finally {
            held.close();
        }
    }

    /** Keys that have a lock now (held or waited for). */
    public int size() {
        return entries.size();
    }

    private void release(String key) {
        entries.compute(key, (k, e) -> --e.users == 0 ? null : e);
    }

    /** A held lock; closing it twice is a bug and throws. */
    public static final class Held implements AutoCloseable {
        private final KeyedLocks owner;
        private final String key;
        private final Entry entry;

        private Held(KeyedLocks owner, String key, Entry entry) {
            this.owner = owner;
            this.key = key;
            this.entry = entry;
        }

        @Override
        public void close() {
            entry.lock.unlock();
            owner.release(key);
        }
    }
}
