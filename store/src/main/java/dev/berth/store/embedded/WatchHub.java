package dev.berth.store.embedded;

import dev.berth.core.spi.StateStore.KeyValue;
import dev.berth.core.spi.StateStore.WatchEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The open watches. {@link #publish} runs under the store's write lock, which is what puts events
 * in revision order; it only enqueues, so the lock is never held while a listener runs.
 */
final class WatchHub {
    private static final byte[] NO_VALUE = new byte[0];

    private final CopyOnWriteArrayList<PrefixWatch> watches = new CopyOnWriteArrayList<>();

    /** Call under the write lock, so the watch sees exactly the writes committed after it. */
    PrefixWatch open(String prefix, Consumer<WatchEvent> listener) {
        PrefixWatch watch = new PrefixWatch(prefix, listener, watches::remove);
        watches.add(watch);
        return watch.start();
    }

    void publish(List<Change> changes) {
        for (PrefixWatch watch : watches) {
            for (Change change : changes) {
                if (watch.covers(change.key())) {
                    watch.offer(event(change)); // a fresh copy per watch: listeners may keep or change it
                }
            }
        }
    }

    void closeAll() {
        for (PrefixWatch watch : watches) {
            watch.close();
        }
    }

    /**
     * A DELETE carries the key and the deleting revision, with an empty value and no lease, as
     * etcd reports it (without prev_kv).
     */
    private static WatchEvent event(Change change) {
        return switch (change) {
            case Change.Put put -> new WatchEvent(WatchEvent.Type.PUT, MemoryIndex.copy(put.kv()));
            case Change.Delete delete -> new WatchEvent(WatchEvent.Type.DELETE,
                    new KeyValue(delete.key(), NO_VALUE.clone(), 0, delete.revision(), 0));
        };
    }
}
