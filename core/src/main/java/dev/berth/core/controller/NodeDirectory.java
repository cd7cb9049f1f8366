package dev.berth.core.controller;

import dev.berth.core.error.NotFound;
import dev.berth.core.model.Node;
import dev.berth.core.model.NodeRegistration;
import dev.berth.core.service.NodeInfo;
import dev.berth.core.service.StateKeys;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StateStore.KeyValue;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Registered nodes. {@code nodes/<id>} is bound to the node's lease (alive while it heartbeats);
 * {@code nodeinfo/<id>} has no lease, so a node whose lease expired is still listed, as expired.
 */
final class NodeDirectory {
    static final String INFO = "nodeinfo/";
    private final StateStore store;
    private final Codec codec;
    private final Clock clock;
    private final Duration ttl;

    NodeDirectory(StateStore store, Codec codec, Clock clock, Duration ttl) {
        this.store = store;
        this.codec = codec;
        this.clock = clock;
        this.ttl = ttl;
    }

    Duration ttl() {
        return ttl;
    }

    /**
     * Binds the node to a lease: its live lease is kept (a restarted agent keeps its claims), an
     * expired one is replaced.
     */
    synchronized void register(Node node) {
        Optional<KeyValue> live = store.get(StateKeys.node(node.id()));
        if (live.isPresent()) {
            try {
                store.keepAlive(live.get().lease());
                store.txn(List.of(), List.of(new StateStore.Op.Put(StateKeys.node(node.id()), codec.encode(node),
                        live.get().lease())));
                return;
            } catch (NotFound expired) {
                // fall through to a new lease
            }
        }
        long lease = store.grant(ttl).id();
        store.txn(List.of(), List.of(
                new StateStore.Op.Put(StateKeys.node(node.id()), codec.encode(node), lease),
                new StateStore.Op.Put(INFO + node.id(), codec.encode(new NodeRegistration(node, clock.instant())),
                        StateStore.NO_LEASE)));
    }

    /**
     * Gives every live node lease a full TTL again, from now. Called once the controller can hear
     * heartbeats again after a start: the store's leases run from the moment it opened, and a start
     * slower than the TTL (a loaded host, a big inventory) must not look like every node died.
     * A node that really died gets at most one more TTL, counted from this moment.
     */
    int renewAll() {
        int renewed = 0;
        for (KeyValue kv : store.list(StateKeys.NODES)) {
            try {
                store.keepAlive(kv.lease());
                renewed++;
            } catch (NotFound expired) {
                // expired meanwhile: that node registers again by itself
            }
        }
        return renewed;
    }

    void heartbeat(String node) {
        store.keepAlive(leaseOf(node));
    }

    /** The node's live lease; NotFound when it has none (never registered, or expired). */
    long leaseOf(String node) {
        return store.get(StateKeys.node(node)).map(KeyValue::lease).orElseThrow(() -> new NotFound(
                "node " + node + " has no live lease", "the agent registers again by itself; retry in a moment"));
    }

    List<NodeInfo> list() {
        List<NodeInfo> out = new ArrayList<>();
        for (KeyValue kv : store.list(INFO)) {
            NodeRegistration r = codec.decode(kv.value(), NodeRegistration.class);
            Optional<KeyValue> live = store.get(StateKeys.node(r.node().id()));
            long left = live.flatMap(l -> store.timeToLive(l.lease())).map(Duration::toMillis).orElse(0L);
            Node current = live.map(l -> codec.decode(l.value(), Node.class)).orElse(r.node());
            out.add(new NodeInfo(current.id(), current.address(), current.version(),
                    live.isPresent() && left > 0 ? "alive" : "expired", left, r.registered()));
        }
        return out;
    }
}
