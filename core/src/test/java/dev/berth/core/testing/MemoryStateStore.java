package dev.berth.core.testing;

import dev.berth.core.error.NotFound;
import dev.berth.core.spi.StateStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The transaction model of the state store in memory, for core's own tests (core cannot depend on
 * the store module, which depends on it): revisions, compares on mod or create revision, leases
 * that delete their keys when revoked. Leases never expire by time here; watches are not kept.
 * The real stores pass StateStoreContract; tests that need their behaviour run in app.
 */
public final class MemoryStateStore implements StateStore {
    private final TreeMap<String, KeyValue> kvs = new TreeMap<>();
    private final Map<Long, Duration> leases = new HashMap<>();
    private long revision;
    private long nextLease = 1;

    @Override
    public synchronized Optional<KeyValue> get(String key) {
        return Optional.ofNullable(kvs.get(key));
    }

    @Override
    public synchronized List<KeyValue> list(String prefix) {
        return new ArrayList<>(kvs.subMap(prefix, prefix + Character.MAX_VALUE).values());
    }

    @Override
    public synchronized Range range(String prefix) {
        return new Range(list(prefix), revision);
    }

    @Override
    public synchronized long revision() {
        return revision;
    }

    @Override
    public synchronized TxnResult txn(List<Compare> compares, List<Op> ops) {
        for (Compare c : compares) {
            if (!c.holdsFor(kvs.get(c.key()))) {
                return new TxnResult(false, revision);
            }
        }
        for (Op op : ops) {
            if (op instanceof Op.Put p && p.lease() != NO_LEASE && !leases.containsKey(p.lease())) {
                throw new NotFound("lease " + p.lease() + " does not exist", "");
            }
        }
        if (ops.isEmpty()) {
            return new TxnResult(true, revision);
        }
        revision++;
        for (Op op : ops) {
            switch (op) {
                case Op.Put p -> {
                    KeyValue old = kvs.get(p.key());
                    kvs.put(p.key(), new KeyValue(p.key(), p.value().clone(), old == null ? revision : old.createRevision(),
                            revision, p.lease()));
                }
                case Op.Delete d -> kvs.remove(d.key());
            }
        }
        return new TxnResult(true, revision);
    }

    @Override
    public synchronized Lease grant(Duration ttl) {
        long id = nextLease++;
        leases.put(id, ttl);
        return new Lease(id, ttl);
    }

    @Override
    public synchronized void keepAlive(long leaseId) {
        if (!leases.containsKey(leaseId)) {
            throw new NotFound("lease " + leaseId + " does not exist", "");
        }
    }

    @Override
    public synchronized Optional<Duration> timeToLive(long leaseId) {
        return Optional.ofNullable(leases.get(leaseId));
    }

    @Override
    public synchronized void revoke(long leaseId) {
        if (leases.remove(leaseId) != null && kvs.values().removeIf(kv -> kv.lease() == leaseId)) {
            revision++;
        }
    }

    /** The number of leases that exist now. */
    public synchronized int leaseCount() {
        return leases.size();
    }

    @Override
    public Watch watch(String prefix, long fromRevision, WatchListener listener) {
        throw new UnsupportedOperationException("MemoryStateStore keeps no watches");
    }

    @Override
    public void close() {
    }
}
