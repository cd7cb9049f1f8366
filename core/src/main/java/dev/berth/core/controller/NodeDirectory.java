package dev.berth.core.controller;

import dev.berth.core.error.Busy;
import dev.berth.core.error.NotFound;
import dev.berth.core.model.Node;
import dev.berth.core.model.NodeRegistration;
import dev.berth.core.service.NodeInfo;
import dev.berth.core.service.StateKeys;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StateStore.Compare;
import dev.berth.core.spi.StateStore.KeyValue;
import dev.berth.core.spi.StateStore.Op;
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
    private static final int MAX_RETRIES = 16;
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
     * expired one is replaced. Several controllers may register one node at once (an agent that
     * fails over mid-call): every write compares {@code nodes/<id>} as read (absent, or its mod
     * revision), a loser reads again, and a lease granted for a lost write is revoked at once, so
     * exactly one lease ends up bound to the node and no claim is ever taken under a lost one.
     */
    void register(Node node) {
        String key = StateKeys.node(node.id());
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            Optional<KeyValue> live = store.get(key);
            if (live.isPresent()) {
                try {
                    store.keepAlive(live.get().lease());
                    if (store.txn(List.of(Compare.modRevision(key, live.get().modRevision())), List.of(
                            new Op.Put(key, codec.encode(node), live.get().lease()))).succeeded()) {
                        return;
                    }
                    continue; // changed meanwhile (another controller): read again
                } catch (NotFound expired) {
                    // the lease ran out between the read and now: replace it below
                }
            }
            long lease = store.grant(ttl).id();
            boolean bound;
            try {
                bound = store.txn(List.of(Compare.modRevision(key, live.map(KeyValue::modRevision).orElse(0L))), List.of(
                        new Op.Put(key, codec.encode(node), lease),
                        new Op.Put(INFO + node.id(), codec.encode(new NodeRegistration(node, clock.instant())),
                                StateStore.NO_LEASE))).succeeded();
            } catch (RuntimeException e) {
                store.revoke(lease);
                throw e;
            }
            if (bound) {
                return;
            }
            store.revoke(lease); // another controller bound the node first: never leave a second lease
        }
        throw new Busy("the registration of node " + node.id() + " keeps changing under this controller",
                "the agent retries by itself");
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
            // Alive while the lease exists: etcd tells the time left in whole seconds rounded down,
            // so a lease renewed on time shows 0 s for part of every period.
            Optional<Duration> ttl = live.flatMap(l -> store.timeToLive(l.lease()));
            long left = ttl.map(Duration::toMillis).orElse(0L);
            Node current = live.map(l -> codec.decode(l.value(), Node.class)).orElse(r.node());
            out.add(new NodeInfo(current.id(), current.address(), current.version(),
                    ttl.isPresent() ? "alive" : "expired", left, r.registered()));
        }
        return out;
    }
}
