package dev.berth.store.etcd;

import dev.berth.core.error.BerthException;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.error.Unavailable;
import dev.berth.core.spi.StateStore;
import dev.berth.store.embedded.Keys;
import dev.berth.store.embedded.TxnCheck;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The state store on an etcd cluster (v3 API, through jetcd), for several controllers at once.
 * Keys live under {@link EtcdSettings#prefix()}; revisions are etcd's (global to the cluster, so
 * other users of the same etcd move them too).
 *
 * <p>Every call has a deadline ({@link EtcdSettings#timeout()}): jetcd would otherwise wait for a
 * connection forever. Calls are not made "wait for ready", so with every member down they fail at
 * once instead of at the deadline. Unreachable, no quorum, no leader, refused or timed out: all are
 * {@link Unavailable}, naming the endpoints, and {@link #failure()} reports it while it lasts.
 * A write that timed out may still have been applied (etcd cannot say), which the hint says.
 *
 * <p>Leases are renewed only by {@link #keepAlive} (one {@code LeaseKeepAlive} round trip with a
 * deadline), never by jetcd's own keep-alive stream, which is known to end silently.
 *
 * <p>"Never written": etcd's revision is never 0, but an empty namespace over a full loop pool must
 * still look like lost state (see the controller's backend inventory). The first write puts a
 * marker (the raw key that is the prefix itself, see {@link Keyspace}) in the same transaction;
 * while it is absent {@link #revision()} says 0.
 */
public final class EtcdStateStore implements StateStore {
    /** Keys per read of a range: one consistent revision for all pages. */
    static final int PAGE = 2000;
    static final Duration MIN_TTL = Duration.ofSeconds(1);
    static final Duration MAX_TTL = Duration.ofDays(365);
    private static final int MAX_MESSAGE = 64 << 20;

    private final EtcdSettings settings;
    private final Client client;
    private final KV kv;
    private final Keyspace keys;
    private final EtcdErrors errors;
    private final ScheduledExecutorService timer;
    private final Set<EtcdWatch> watches = ConcurrentHashMap.newKeySet();
    /** The namespace's marker is known to exist (it is never removed by the store). */
    private volatile boolean marked;
    private volatile boolean closed;
    /** Why the last call could not reach etcd; null after a call that did. */
    private volatile String unreachable;

    private EtcdStateStore(EtcdSettings settings, Client client) {
        this.settings = settings;
        this.client = client;
        this.kv = client.getKVClient();
        this.keys = new Keyspace(settings.prefix());
        this.errors = new EtcdErrors(settings);
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("berth-etcd-timer").factory());
    }

    /**
     * A client for {@code settings}. Opening does not wait for etcd: a controller starts while the
     * members are still coming up, and each call reports {@link Unavailable} until they answer.
     *
     * @throws InvalidArgument if a TLS file cannot be used
     */
    public static EtcdStateStore open(EtcdSettings settings) {
        Objects.requireNonNull(settings, "settings");
        ClientBuilder b = Client.builder()
                .endpoints(settings.uris().toArray(java.net.URI[]::new))
                .waitForReady(false)
                .connectTimeout(settings.timeout())
                .retryMaxDuration(settings.timeout())
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(settings.timeout())
                .maxInboundMessageSize(MAX_MESSAGE);
        if (settings.user() != null) {
            b.user(ByteSequence.from(settings.user(), java.nio.charset.StandardCharsets.UTF_8))
                    .password(ByteSequence.from(settings.password(), java.nio.charset.StandardCharsets.UTF_8));
        }
        if (settings.tls()) {
            try {
                b.sslContext(ssl -> {
                    if (settings.ca() != null) {
                        ssl.trustManager(file(settings.ca()));
                    }
                    if (settings.cert() != null) {
                        ssl.keyManager(file(settings.cert()), file(settings.key()));
                    }
                });
            } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
                throw new InvalidArgument("cannot use the etcd TLS files (" + settings + "): " + e.getMessage(),
                        "store.etcd.ca, store.etcd.cert and store.etcd.key must be readable PEM files; the key in PKCS#8 "
                                + "(openssl pkcs8 -topk8 -nocrypt converts one)", e);
            }
        }
        EtcdStateStore store = new EtcdStateStore(settings, b.build());
        try {
            store.marked = store.markerPresent();
        } catch (Unavailable later) {
            // not reachable yet: the first write puts the marker (again; harmless)
        } catch (RuntimeException | Error e) {
            store.close();
            throw e;
        }
        return store;
    }

    private static File file(java.nio.file.Path p) {
        File f = p.toFile();
        if (!f.canRead()) {
            throw new IllegalArgumentException(p + " cannot be read");
        }
        return f;
    }

    public EtcdSettings settings() {
        return settings;
    }

    @Override
    public Optional<KeyValue> get(String key) {
        ByteSequence raw = keys.raw(Keys.check(key));
        GetResponse r = call("a read of '" + key + "'", false, () -> kv.get(raw));
        return r.getKvs().stream().findFirst().map(this::toKeyValue);
    }

    @Override
    public List<KeyValue> list(String prefix) {
        return range(prefix).kvs();
    }

    /**
     * Reads the prefix in pages of {@link #PAGE} keys, every page at the revision of the first, so
     * the result is one consistent read however many keys there are. If etcd compacts that revision
     * between two pages, the read starts again.
     */
    @Override
    public Range range(String prefix) {
        ByteSequence start = keys.raw(Keys.checkPrefix(prefix));
        ByteSequence end = Keyspace.rangeEnd(start);
        for (int attempt = 0; ; attempt++) {
            List<KeyValue> out = new ArrayList<>();
            GetResponse page = call("a read of '" + prefix + "'", false,
                    () -> kv.get(start, GetOption.builder().withRange(end).withLimit(PAGE).build()));
            long revision = page.getHeader().getRevision();
            try {
                while (true) {
                    List<io.etcd.jetcd.KeyValue> kvs = page.getKvs();
                    kvs.forEach(x -> add(out, x));
                    if (!page.isMore() || kvs.isEmpty()) {
                        return new Range(out, revision);
                    }
                    ByteSequence next = kvs.getLast().getKey().concat(ByteSequence.from(new byte[] {0}));
                    page = call("a read of '" + prefix + "'", false, () -> kv.get(next,
                            GetOption.builder().withRange(end).withLimit(PAGE).withRevision(revision).build()));
                }
            } catch (InvalidArgument compacted) {
                if (attempt >= 2 || !String.valueOf(compacted.getMessage()).contains("compacted")) {
                    throw compacted;
                }
            }
        }
    }

    private void add(List<KeyValue> out, io.etcd.jetcd.KeyValue x) {
        if (keys.relative(x.getKey()) != null) {
            out.add(toKeyValue(x));
        }
    }

    /** 0 while the namespace was never written (see the class comment), else etcd's current revision. */
    @Override
    public long revision() {
        GetResponse r = call("a read of the revision", false,
                () -> kv.get(keys.marker(), GetOption.builder().withCountOnly(true).build()));
        if (r.getCount() == 0) {
            return 0;
        }
        marked = true;
        return r.getHeader().getRevision();
    }

    private boolean markerPresent() {
        return revision() != 0;
    }

    private long currentRevision() {
        return call("a read of the revision", false,
                () -> kv.get(keys.marker(), GetOption.builder().withCountOnly(true).build())).getHeader().getRevision();
    }

    @Override
    public TxnResult txn(List<Compare> compares, List<Op> ops) {
        TxnCheck.check(compares, ops);
        Cmp[] cmps = new Cmp[compares.size()];
        for (int i = 0; i < cmps.length; i++) {
            Compare c = compares.get(i);
            cmps[i] = new Cmp(keys.raw(c.key()), Cmp.Op.EQUAL, c.target() == Compare.Target.MOD_REVISION
                    ? CmpTarget.modRevision(c.revision()) : CmpTarget.createRevision(c.revision()));
        }
        List<io.etcd.jetcd.op.Op> then = new ArrayList<>(ops.size() + 1);
        boolean puts = false;
        for (Op op : ops) {
            switch (op) {
                case Op.Put put -> {
                    puts = true;
                    then.add(io.etcd.jetcd.op.Op.put(keys.raw(put.key()), ByteSequence.from(put.value()),
                            put.lease() == NO_LEASE ? PutOption.DEFAULT : PutOption.builder().withLeaseId(put.lease()).build()));
                }
                case Op.Delete delete -> then.add(io.etcd.jetcd.op.Op.delete(keys.raw(delete.key()), DeleteOption.DEFAULT));
            }
        }
        boolean marking = puts && !marked;
        if (marking) {
            then.add(io.etcd.jetcd.op.Op.put(keys.marker(), ByteSequence.EMPTY, PutOption.DEFAULT));
        }
        String what = "a transaction on '" + (ops.isEmpty() ? compares.isEmpty() ? "" : compares.getFirst().key()
                : ops.getFirst().key()) + "'" + (ops.size() + compares.size() > 1 ? " and more" : "");
        TxnResponse r;
        try {
            r = call(what, true, () -> kv.txn().If(cmps).Then(then.toArray(io.etcd.jetcd.op.Op[]::new)).commit());
        } catch (NotFound e) {
            throw new NotFound("a lease named by " + what + " does not exist (it expired or was revoked); nothing was written",
                    "grant a new lease and write the keys again", e);
        }
        if (marking && r.isSucceeded()) {
            marked = true;
        }
        return new TxnResult(r.isSucceeded(), r.getHeader().getRevision());
    }

    @Override
    public Lease grant(Duration ttl) {
        if (ttl == null || ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
            throw new InvalidArgument("lease TTL " + ttl + " is outside " + MIN_TTL.toSeconds() + "s.."
                    + MAX_TTL.toDays() + " days", "ask for a TTL of at least one second");
        }
        long seconds = (ttl.toMillis() + 999) / 1000; // etcd counts whole seconds (and may raise it to its minimum)
        LeaseGrantResponse r = call("a lease grant", true, () -> client.getLeaseClient().grant(seconds));
        return new Lease(r.getID(), Duration.ofSeconds(r.getTTL()));
    }

    @Override
    public void keepAlive(long leaseId) {
        try {
            call("a renewal of lease " + leaseId, false, () -> client.getLeaseClient().keepAliveOnce(leaseId));
        } catch (NotFound e) {
            throw new NotFound("lease " + leaseId + " does not exist (it expired or was revoked); its keys are gone",
                    "grant a new lease and write its keys again", e);
        }
    }

    @Override
    public Optional<Duration> timeToLive(long leaseId) {
        LeaseTimeToLiveResponse r;
        try {
            r = call("a read of lease " + leaseId, false, () -> client.getLeaseClient().timeToLive(leaseId, LeaseOption.DEFAULT));
        } catch (NotFound gone) {
            return Optional.empty();
        }
        return r.getTTL() < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(r.getTTL()));
    }

    @Override
    public void revoke(long leaseId) {
        try {
            call("a revoke of lease " + leaseId, true, () -> client.getLeaseClient().revoke(leaseId));
        } catch (NotFound unknown) {
            // unknown leases are ignored
        }
    }

    @Override
    public Watch watch(String prefix, long fromRevision, WatchListener listener) {
        Keys.checkPrefix(prefix);
        Objects.requireNonNull(listener, "listener");
        if (fromRevision < 0) {
            throw new InvalidArgument("a watch cannot start at revision " + fromRevision,
                    "use 0 for \"from now\" or a revision read from the store plus one");
        }
        ensureOpen();
        // "From now" as a revision: the server registers the watch later than this call returns.
        long from = fromRevision != 0 ? fromRevision : currentRevision() + 1;
        ByteSequence start = keys.raw(prefix);
        EtcdWatch watch = new EtcdWatch(prefix, listener, keys, errors, timer, settings.timeout().toNanos(), watches::remove);
        watches.add(watch);
        watch.started(client.getWatchClient().watch(start, WatchOption.builder().withRange(Keyspace.rangeEnd(start))
                .withRevision(from).withCreateNotify(true).build(), watch));
        if (closed) {
            watch.close();
        }
        return watch;
    }

    /**
     * Why etcd cannot be used now: asks it (one read, with the deadline), so the answer is current.
     * Call it off event loops.
     */
    @Override
    public Optional<String> failure() {
        if (closed) {
            return Optional.of(errors.closed().getMessage());
        }
        try {
            currentRevision();
            return Optional.empty();
        } catch (BerthException e) {
            return Optional.of(e.fullMessage());
        }
    }

    /** The last unreachability seen by a call (null after a call that reached etcd); for tests and logs. */
    String lastUnreachable() {
        return unreachable;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (EtcdWatch w : List.copyOf(watches)) {
            w.fail(errors.closed());
        }
        client.close();
        timer.shutdownNow();
    }

    private KeyValue toKeyValue(io.etcd.jetcd.KeyValue x) {
        return new KeyValue(keys.relative(x.getKey()), x.getValue().getBytes(), x.getCreateRevision(), x.getModRevision(),
                x.getLease());
    }

    private void ensureOpen() {
        if (closed) {
            throw errors.closed();
        }
    }

    /** One call with the deadline; every failure mapped (see {@link EtcdErrors}). */
    private <T> T call(String what, boolean write, Supplier<CompletableFuture<T>> request) {
        ensureOpen();
        CompletableFuture<T> f;
        try {
            f = request.get();
        } catch (RuntimeException e) {
            throw noted(errors.map(what, write, e));
        }
        try {
            T result = f.get(settings.timeout().toNanos(), TimeUnit.NANOSECONDS);
            unreachable = null;
            return result;
        } catch (TimeoutException e) {
            f.cancel(true);
            throw noted(errors.timedOut(what, write));
        } catch (ExecutionException e) {
            throw noted(errors.map(what, write, e.getCause()));
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted while waiting for etcd (" + what + ")", "retry", e);
        } catch (java.util.concurrent.CancellationException e) {
            throw noted(closed ? errors.closed() : errors.map(what, write, e));
        }
    }

    private BerthException noted(BerthException e) {
        if (e instanceof Unavailable) {
            unreachable = e.getMessage();
        } else {
            unreachable = null; // etcd answered, if with an error
        }
        return e;
    }
}
