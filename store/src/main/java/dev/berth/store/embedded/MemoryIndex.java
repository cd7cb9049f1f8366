package dev.berth.store.embedded;

import dev.berth.core.spi.StateStore.KeyValue;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.StampedLock;

/**
 * Every key in memory, in key order, so reads never wait for the disk or for a writer's fsync.
 * A write's changes become visible all at once: {@link #list} never shows half a transaction.
 * Values handed out are copies; callers may scribble on them.
 */
final class MemoryIndex {
    private final ConcurrentSkipListMap<String, KeyValue> keys = new ConcurrentSkipListMap<>(Keys.ORDER);
    // Readers take an optimistic stamp and retry only if a write landed meanwhile; writers hold it for microseconds.
    private final StampedLock visibility = new StampedLock();
    private volatile long revision;

    MemoryIndex(long revision, Collection<KeyValue> contents) {
        this.revision = revision;
        for (KeyValue kv : contents) {
            keys.put(kv.key(), kv);
        }
    }

    long revision() {
        return revision;
    }

    /** The stored entry itself (not a copy); for the writer, which never changes it. */
    KeyValue current(String key) {
        return keys.get(key);
    }

    KeyValue get(String key) {
        KeyValue kv = keys.get(key);
        return kv == null ? null : copy(kv);
    }

    List<KeyValue> list(String prefix) {
        long stamp = visibility.tryOptimisticRead();
        if (stamp != 0) {
            List<KeyValue> found = collect(prefix);
            if (visibility.validate(stamp)) {
                return copies(found);
            }
        }
        stamp = visibility.readLock();
        try {
            return copies(collect(prefix));
        } finally {
            visibility.unlockRead(stamp);
        }
    }

    /** Makes one write's changes visible together with its revision. */
    void apply(List<Change> changes, long newRevision) {
        long stamp = visibility.writeLock();
        try {
            for (Change change : changes) {
                switch (change) {
                    case Change.Put put -> keys.put(put.key(), put.kv());
                    case Change.Delete delete -> keys.remove(delete.key());
                }
            }
            revision = newRevision;
        } finally {
            visibility.unlockWrite(stamp);
        }
    }

    private List<KeyValue> collect(String prefix) {
        List<KeyValue> found = new ArrayList<>();
        // Keys sharing a prefix are contiguous in any lexicographic order, starting at the prefix itself.
        for (Map.Entry<String, KeyValue> e : keys.tailMap(prefix, true).entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            found.add(e.getValue());
        }
        return found;
    }

    private static List<KeyValue> copies(List<KeyValue> found) {
        List<KeyValue> out = new ArrayList<>(found.size());
        for (KeyValue kv : found) {
            out.add(copy(kv));
        }
        return Collections.unmodifiableList(out);
    }

    static KeyValue copy(KeyValue kv) {
        return new KeyValue(kv.key(), kv.value().clone(), kv.createRevision(), kv.modRevision(), kv.lease());
    }
}
