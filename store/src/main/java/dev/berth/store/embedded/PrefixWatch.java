package dev.berth.store.embedded;

import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StateStore.WatchEvent;
import java.lang.System.Logger.Level;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * One watch: its own queue and its own virtual thread, so a slow listener delays only itself.
 * The writer only enqueues (never blocks); the thread calls the listener in revision order.
 */
final class PrefixWatch implements StateStore.Watch {
    private static final System.Logger LOG = System.getLogger(PrefixWatch.class.getName());
    /** Wakes the thread on close; compared by identity. */
    private static final WatchEvent STOP = new WatchEvent(WatchEvent.Type.DELETE, null);

    private final String prefix;
    private final Consumer<WatchEvent> listener;
    private final Consumer<PrefixWatch> onClose;
    private final LinkedBlockingQueue<WatchEvent> queue = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    PrefixWatch(String prefix, Consumer<WatchEvent> listener, Consumer<PrefixWatch> onClose) {
        this.prefix = prefix;
        this.listener = listener;
        this.onClose = onClose;
    }

    PrefixWatch start() {
        Thread.ofVirtual().name("berth-watch " + prefix).start(this::deliver);
        return this;
    }

    boolean covers(String key) {
        return key.startsWith(prefix);
    }

    void offer(WatchEvent event) {
        if (!closed) {
            queue.add(event);
        }
    }

    /** After this returns no new listener call starts; one already running is not interrupted. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        queue.clear();
        queue.add(STOP);
        onClose.accept(this);
    }

    private void deliver() {
        while (!closed) {
            WatchEvent event;
            try {
                event = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (event == STOP || closed) {
                return;
            }
            try {
                listener.accept(event);
            } catch (RuntimeException | Error e) {
                // One bad listener call must not end the watch: later events still matter to it.
                LOG.log(Level.WARNING, "watch listener for prefix '" + prefix + "' failed on "
                        + event.type() + " " + event.kv().key(), e);
            }
        }
    }
}
