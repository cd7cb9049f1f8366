package dev.berth.core.service;

import dev.berth.core.error.BerthException;
import dev.berth.core.error.NotFound;
import dev.berth.core.model.Node;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.StateStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps this node's lease alive (renewed every TTL/3) and its {@code nodes/<id>} record bound to
 * it. If the lease is lost anyway (store unreachable longer than the TTL), a new one is granted and
 * {@code onNewLease} is told, so the owner can re-bind what it holds.
 */
public final class NodeLease implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NodeLease.class.getName());
    private final StateStore store;
    private final Codec codec;
    private final Node node;
    private final Duration ttl;
    private final AtomicLong lease = new AtomicLong();
    private volatile LongConsumer onNewLease = id -> { };
    private volatile boolean closed;
    private final Thread renewer;

    public NodeLease(StateStore store, Codec codec, Node node, Duration ttl) {
        if (ttl.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("lease TTL must be at least 1s");
        }
        this.store = store;
        this.codec = codec;
        this.node = node;
        this.ttl = ttl;
        grantAndRegister();
        this.renewer = Thread.ofVirtual().name("node-lease").unstarted(this::renewLoop);
    }

    public NodeLease start() {
        renewer.start();
        return this;
    }

    public void onNewLease(LongConsumer listener) {
        this.onNewLease = listener;
    }

    public long id() {
        return lease.get();
    }

    public String nodeId() {
        return node.id();
    }

    public Duration ttl() {
        return ttl;
    }

    private void grantAndRegister() {
        long id = store.grant(ttl).id();
        store.txn(List.of(), List.of(new StateStore.Op.Put(StateKeys.node(node.id()), codec.encode(node), id)));
        lease.set(id);
    }

    private void renewLoop() {
        long periodNanos = ttl.toNanos() / 3;
        while (!closed) {
            try {
                Thread.sleep(Duration.ofNanos(periodNanos));
                store.keepAlive(lease.get());
            } catch (InterruptedException e) {
                return;
            } catch (NotFound lost) {
                if (closed) {
                    return;
                }
                LOG.warning("node lease " + lease.get() + " expired; granting a new one");
                try {
                    grantAndRegister();
                    onNewLease.accept(lease.get());
                } catch (BerthException e) {
                    LOG.log(Level.WARNING, "could not renew the node lease: " + e.getMessage());
                }
            } catch (BerthException e) {
                LOG.log(Level.WARNING, "node lease renewal failed: " + e.getMessage());
            }
        }
    }

    /** Stops renewing. The lease is left to expire, not revoked: a restart re-binds within the TTL. */
    @Override
    public void close() {
        closed = true;
        renewer.interrupt();
    }
}
