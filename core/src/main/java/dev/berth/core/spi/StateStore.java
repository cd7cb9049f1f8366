package dev.berth.core.spi;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The state store Berth keeps its truth in: an ordered key-value map with a global revision,
 * compare-and-swap transactions, leases that delete their keys when they expire, and watches.
 * The model is etcd's, so the embedded store (one host) and etcd (many hosts) are interchangeable;
 * both must pass the same contract test suite.
 *
 * <p>Keys are UTF-8 strings of at most {@link #MAX_KEY_LENGTH} characters; values are opaque
 * bytes. Every successful write increases the store revision by one; a key's
 * {@code modRevision} is the revision of the write that last changed it.
 */
public interface StateStore extends AutoCloseable {
    int MAX_KEY_LENGTH = 8192;
    /** Lease id meaning "no lease": the key lives until deleted. */
    long NO_LEASE = 0;

    Optional<KeyValue> get(String key);

    /** All keys starting with {@code prefix}, in key order. */
    List<KeyValue> list(String prefix);

    /**
     * All keys starting with {@code prefix}, in key order, and the store revision they were read
     * at, in one consistent read: a watch from {@code revision + 1} then misses nothing.
     */
    Range range(String prefix);

    /** The revision of the latest write (0 for an empty, never written store). */
    long revision();

    /**
     * Whether nothing was ever written to this store (a fresh state directory; an etcd prefix no
     * controller used yet). Over backend objects that exist, this is the sign that the state was
     * lost, which the controller refuses to start on. A shared store's revision says nothing about
     * this (etcd's grows with every user of the cluster), so such a store answers it on its own.
     */
    default boolean neverWritten() {
        return revision() == 0;
    }

    /**
     * Applies {@code ops} atomically if every compare holds, else changes nothing.
     * A put naming a lease that does not exist (expired or revoked) fails the whole transaction
     * with {@link dev.berth.core.error.NotFound}.
     */
    TxnResult txn(List<Compare> compares, List<Op> ops);

    /** Creates a lease; keys put with it are deleted when it expires or is revoked. */
    Lease grant(Duration ttl);

    /**
     * Restarts the lease's TTL. Throws {@link dev.berth.core.error.NotFound} if the lease has
     * expired or was revoked: its keys are already gone.
     */
    void keepAlive(long leaseId);

    /** Time left before the lease expires; empty if it no longer exists. */
    Optional<Duration> timeToLive(long leaseId);

    /** Ends the lease now and deletes its keys. Unknown leases are ignored. */
    void revoke(long leaseId);

    /** Calls {@code listener} for every change under {@code prefix} after this call, in revision order. */
    default Watch watch(String prefix, Consumer<WatchEvent> listener) {
        return watch(prefix, 0, listener::accept);
    }

    /**
     * Calls {@code listener} for every change under {@code prefix} at {@code fromRevision} or later,
     * in revision order ({@code 0}: the changes after this call). When the store no longer has the
     * history from {@code fromRevision} (etcd compacted it; the embedded store keeps none), the
     * listener is told {@link WatchListener#compacted} once and the watch ends: re-read with
     * {@link #range} and watch again from its revision + 1. A watch that ends for any other reason
     * (store closed, unreachable past its deadline) tells {@link WatchListener#failed}.
     */
    Watch watch(String prefix, long fromRevision, WatchListener listener);

    @Override
    void close();

    /**
     * Why this store cannot be trusted with changes now (e.g. its files were removed under it, or
     * the last write failed); empty while it is healthy. A store that lost its files refuses every
     * later write with {@link dev.berth.core.error.Unavailable}. May look at the disk (a stat), so
     * call it off event loops.
     */
    default Optional<String> failure() {
        return Optional.empty();
    }

    // ---- conveniences built on txn -------------------------------------------------------

    /** Unconditional put. Returns the new revision. */
    default long put(String key, byte[] value) {
        return txn(List.of(), List.of(new Op.Put(key, value, NO_LEASE))).revision();
    }

    /** Put only if the key's modRevision is {@code expected} (0 = the key must not exist). */
    default boolean compareAndPut(String key, long expected, byte[] value, long lease) {
        return txn(List.of(new Compare(key, expected)), List.of(new Op.Put(key, value, lease))).succeeded();
    }

    /** Delete only if the key's modRevision is {@code expected}. */
    default boolean compareAndDelete(String key, long expected) {
        return txn(List.of(new Compare(key, expected)), List.of(new Op.Delete(key))).succeeded();
    }

    /** Unconditional delete; deleting a missing key is not an error. */
    default void delete(String key) {
        txn(List.of(), List.of(new Op.Delete(key)));
    }

    record KeyValue(String key, byte[] value, long createRevision, long modRevision, long lease) {
    }

    /**
     * Holds when the key's {@code target} revision equals {@code revision}; a revision of 0 means
     * "the key is absent" for either target. Comparing the create revision tells "this is still the
     * record I read" across later updates of it (e.g. a claim renewed), the mod revision tells "nobody
     * changed it since".
     */
    record Compare(String key, Target target, long revision) {
        public enum Target { MOD_REVISION, CREATE_REVISION }

        public Compare {
            java.util.Objects.requireNonNull(target, "target");
        }

        /** Compares the mod revision (0: absent), as every compare did before targets existed. */
        public Compare(String key, long modRevision) {
            this(key, Target.MOD_REVISION, modRevision);
        }

        public static Compare absent(String key) {
            return new Compare(key, Target.MOD_REVISION, 0);
        }

        public static Compare modRevision(String key, long revision) {
            return new Compare(key, Target.MOD_REVISION, revision);
        }

        public static Compare createRevision(String key, long revision) {
            return new Compare(key, Target.CREATE_REVISION, revision);
        }

        /** Whether this compare holds for {@code kv} (null: the key is absent). */
        public boolean holdsFor(KeyValue kv) {
            long actual = kv == null ? 0 : target == Target.MOD_REVISION ? kv.modRevision() : kv.createRevision();
            return actual == revision;
        }
    }

    /** A consistent read of a prefix and the store revision it was made at. */
    record Range(List<KeyValue> kvs, long revision) {
        public Range {
            kvs = List.copyOf(kvs);
        }
    }

    sealed interface Op {
        String key();

        record Put(String key, byte[] value, long lease) implements Op {
        }

        record Delete(String key) implements Op {
        }
    }

    record TxnResult(boolean succeeded, long revision) {
    }

    record Lease(long id, Duration ttl) {
    }

    record WatchEvent(Type type, KeyValue kv) {
        public enum Type { PUT, DELETE }
    }

    /** Receives a watch's events, on a thread of the watch's own (never the writer's). */
    interface WatchListener {
        void event(WatchEvent event);

        /**
         * The history from the watch's start revision is gone ({@code compactRevision} is the oldest
         * the store still has): events were missed, so re-read with {@link #range} and watch again.
         * The watch has ended.
         */
        default void compacted(long compactRevision) {
        }

        /** The watch ended without being closed (store closed or unreachable); re-read and watch again. */
        default void failed(RuntimeException cause) {
        }
    }

    interface Watch extends AutoCloseable {
        @Override
        void close();
    }
}
