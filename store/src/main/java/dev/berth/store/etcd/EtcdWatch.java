package dev.berth.store.etcd;

import dev.berth.core.error.Unavailable;
import dev.berth.core.spi.StateStore.KeyValue;
import dev.berth.core.spi.StateStore.Watch;
import dev.berth.core.spi.StateStore.WatchEvent;
import dev.berth.core.spi.StateStore.WatchListener;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One watch: jetcd's callbacks (on gRPC threads) only queue; a thread of this watch's own delivers,
 * so a slow listener blocks neither writers nor other watches. jetcd re-subscribes by itself after
 * a transient error (from the revision after the last event, so nothing is lost or repeated); if it
 * has not managed to within the store's deadline, the watch ends with {@link WatchListener#failed}.
 */
final class EtcdWatch implements Watch, io.etcd.jetcd.Watch.Listener {
    private static final Logger LOG = Logger.getLogger(EtcdWatch.class.getName());
    private static final Runnable STOP = () -> { };

    private final String prefix;
    private final WatchListener listener;
    private final Keyspace keys;
    private final EtcdErrors errors;
    private final ScheduledExecutorService timer;
    private final long timeoutNanos;
    private final Consumer<EtcdWatch> onEnd;
    private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile boolean closed;
    private volatile io.etcd.jetcd.Watch.Watcher watcher;
    /** System.nanoTime() of the first error since the stream last worked; 0 while it works. */
    private volatile long failingSince;
    private volatile Throwable lastError;

    EtcdWatch(String prefix, WatchListener listener, Keyspace keys, EtcdErrors errors, ScheduledExecutorService timer,
              long timeoutNanos, Consumer<EtcdWatch> onEnd) {
        this.prefix = prefix;
        this.listener = listener;
        this.keys = keys;
        this.errors = errors;
        this.timer = timer;
        this.timeoutNanos = timeoutNanos;
        this.onEnd = onEnd;
        Thread.ofVirtual().name("berth-etcd-watch " + prefix).start(this::deliver);
    }

    void started(io.etcd.jetcd.Watch.Watcher watcher) {
        this.watcher = watcher;
        if (closed) {
            watcher.close();
        }
    }

    @Override
    public void onNext(WatchResponse response) {
        failingSince = 0;
        for (io.etcd.jetcd.watch.WatchEvent e : response.getEvents()) {
            String key = keys.relative(e.getKeyValue().getKey());
            if (key == null) {
                continue; // the namespace marker: not a key of the store
            }
            WatchEvent.Type type = switch (e.getEventType()) {
                case PUT -> WatchEvent.Type.PUT;
                case DELETE -> WatchEvent.Type.DELETE;
                default -> null;
            };
            if (type == null) {
                continue;
            }
            io.etcd.jetcd.KeyValue kv = e.getKeyValue();
            WatchEvent event = new WatchEvent(type, new KeyValue(key, kv.getValue().getBytes(), kv.getCreateRevision(),
                    kv.getModRevision(), kv.getLease()));
            queue.add(() -> listener.event(event));
        }
    }

    @Override
    public void onError(Throwable t) {
        if (t instanceof CompactedException c) {
            end(() -> listener.compacted(c.getCompactedRevision()));
            return;
        }
        lastError = t;
        // jetcd either re-subscribes by itself (unreachable) or ends the watcher (then onCompleted
        // says failed): in both cases, if no subscription works again within the deadline, fail.
        if (failingSince == 0) {
            long since = System.nanoTime();
            failingSince = since;
            timer.schedule(() -> {
                if (failingSince == since && !closed) {
                    fail(errors.map("a watch of '" + prefix + "'", false, t));
                }
            }, timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void onCompleted() {
        if (!closed) {
            Throwable t = lastError;
            fail(t == null ? new Unavailable("the etcd watch of '" + prefix + "' ended", errors.hint(false))
                    : errors.map("a watch of '" + prefix + "'", false, t));
        }
    }

    /** Ends the watch with {@link WatchListener#failed} (store closed or unreachable). */
    void fail(RuntimeException cause) {
        end(() -> listener.failed(cause));
    }

    private void end(Runnable last) {
        if (ended.compareAndSet(false, true)) {
            queue.add(last);
            queue.add(STOP);
            stopWatcher();
            onEnd.accept(this);
        }
    }

    @Override
    public void close() {
        closed = true;
        if (ended.compareAndSet(false, true)) {
            queue.add(STOP);
            onEnd.accept(this);
        }
        stopWatcher();
    }

    private void stopWatcher() {
        io.etcd.jetcd.Watch.Watcher w = watcher;
        if (w != null) {
            w.close();
        }
    }

    private void deliver() {
        try {
            while (true) {
                Runnable next = queue.take();
                if (next == STOP || closed) {
                    return;
                }
                try {
                    next.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "watch listener for prefix '" + prefix + "' failed; later events are still delivered", e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
