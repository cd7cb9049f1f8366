package dev.berth.store.embedded;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.error.Unavailable;
import dev.berth.core.spi.StateStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The embedded state store for a single host: {@code <dir>/state.db}, a SQLite database.
 *
 * <p>Why SQLite, in WAL mode with {@code synchronous=FULL}, behind an in-memory index:
 * <ul>
 *   <li><b>Crash safety without writing a storage engine.</b> SQLite's atomic commit is one of the
 *   most tested pieces of code there is. With {@code synchronous=FULL} the WAL is fsynced on every
 *   commit, so a write that returned survives {@code kill -9} and power loss, and a write cut off
 *   half-way is rolled back on the next open. A hand-rolled log would need its own torn-write and
 *   fsync handling, and its own recovery tests.</li>
 *   <li><b>Inspectable.</b> An operator can run {@code sqlite3 state.db 'select key, mod_rev from kv'}
 *   on the files (or, while Berth runs, on a copy of {@code state.db} and {@code state.db-wal}: the
 *   database is held exclusively, see {@link SqliteTables}), and the values are JSON.</li>
 *   <li><b>Reads never touch the disk.</b> Every key lives in an ordered in-memory map loaded at open,
 *   so {@code get} is a map lookup and listing 10,000 keys takes milliseconds, and a reader never
 *   waits for a writer's fsync. The state of one host is small (volumes, claims, mounts), so memory
 *   is the cheap side of this trade.</li>
 * </ul>
 *
 * <p>Writes are serialized by one lock: the SQLite transaction commits first, then the memory
 * index changes (all keys of a transaction at once), then the change is queued to the watches.
 * A failed commit therefore leaves memory untouched. Lease deadlines live only in memory, on the
 * monotonic clock; after a restart every lease gets its full TTL again, as in etcd.
 *
 * <p>The directory is locked with an OS file lock ({@code <dir>/lock}) for the life of the store:
 * a second store on it, in this process or another, fails with {@link dev.berth.core.error.Busy}.
 *
 * <p><b>Lost files.</b> After every write (and in {@link #failure()}, the health check) the store
 * checks that the directory, the lock file, the database and its WAL are still the files it opened
 * (device and inode, see {@link StateDirectory#changed()}). If one was removed or replaced, SQLite
 * would go on writing into unlinked files and nothing would survive a restart, so the store turns
 * <i>lost</i> for good: that write and every later one fails with {@link Unavailable}, nothing
 * more reaches the disk, leases are no longer reaped, and reads go on answering from memory (what
 * the store held when it was lost, which is what an operator needs to recover). It is logged once
 * at SEVERE. A write that merely fails (disk full, {@code chattr +i}) is a {@link BackendFailure}
 * that changes nothing; {@link #failure()} reports it until a later write succeeds.
 */
public final class SqliteStateStore implements StateStore {
    static final Duration MIN_TTL = Duration.ofSeconds(1);
    static final Duration MAX_TTL = Duration.ofDays(365);

    private final StateDirectory directory;
    private final SqliteTables tables;
    private final MemoryIndex index;
    private final LeaseTable leases = new LeaseTable();
    private final WatchHub watches = new WatchHub();
    /** Serializes every change to disk, memory and leases. */
    private final ReentrantLock writes = new ReentrantLock();
    private final LeaseReaper reaper;
    /** Guarded by {@link #writes}. */
    private long nextLease;
    private volatile boolean closed;
    /** Why the store's files are gone; set once, never cleared. */
    private final AtomicReference<String> lost = new AtomicReference<>();
    /** The message of the last failed write, until a write succeeds. */
    private volatile String lastWriteError;

    private SqliteStateStore(StateDirectory directory, SqliteTables tables, SqliteTables.Contents contents) {
        this.directory = directory;
        this.tables = tables;
        this.index = new MemoryIndex(contents.revision(), contents.keys());
        this.nextLease = contents.nextLease();
        long now = System.nanoTime();
        for (SqliteTables.StoredLease stored : contents.leases()) {
            leases.add(new LeaseTable.Live(stored.id(), stored.ttlMillis(), now));
        }
        List<KeyValue> orphans = new ArrayList<>();
        for (KeyValue kv : contents.keys()) {
            if (kv.lease() != NO_LEASE) {
                LeaseTable.Live lease = leases.any(kv.lease());
                if (lease == null) {
                    orphans.add(kv);
                } else {
                    lease.keys.add(kv.key());
                }
            }
        }
        if (!orphans.isEmpty()) {
            deleteOrphans(orphans);
        }
        this.reaper = new LeaseReaper("berth-lease-reaper " + directory.path(),
                () -> lost.get() != null ? LeaseReaper.MAX_NAP : leases.nanosUntilNextDeadline(System.nanoTime()),
                this::expireDue).start();
    }

    /**
     * Opens (creating if needed) the store in {@code dir}: the directory with mode 0700,
     * {@code state.db} with 0600.
     *
     * @throws dev.berth.core.error.Busy if another store holds the directory
     * @throws BackendFailure if the directory or the database cannot be used
     */
    public static SqliteStateStore open(Path dir) {
        StateDirectory directory = StateDirectory.acquire(dir);
        SqliteTables tables = null;
        try {
            tables = SqliteTables.open(directory.prepareDatabase());
            SqliteTables.Contents contents = tables.load();
            directory.databaseOpened();
            return new SqliteStateStore(directory, tables, contents);
        } catch (RuntimeException | Error e) {
            if (tables != null) {
                tables.close();
            }
            directory.close();
            throw e;
        }
    }

    /** The locked state directory (absolute, symlinks resolved). */
    public Path directory() {
        return directory.path();
    }

    @Override
    public Optional<KeyValue> get(String key) {
        ensureOpen();
        return Optional.ofNullable(index.get(Keys.check(key)));
    }

    @Override
    public List<KeyValue> list(String prefix) {
        ensureOpen();
        return index.list(Keys.checkPrefix(prefix));
    }

    @Override
    public Range range(String prefix) {
        Keys.checkPrefix(prefix);
        // Under the write lock: no commit lands between reading the keys and the revision.
        writes.lock();
        try {
            ensureOpen();
            return new Range(index.list(prefix), index.revision());
        } finally {
            writes.unlock();
        }
    }

    @Override
    public long revision() {
        ensureOpen();
        return index.revision();
    }

    @Override
    public TxnResult txn(List<Compare> compares, List<Op> ops) {
        TxnCheck.check(compares, ops);
        writes.lock();
        try {
            ensureWritable();
            long current = index.revision();
            for (Compare compare : compares) {
                KeyValue kv = index.current(compare.key());
                if (!compare.holdsFor(kv)) {
                    return new TxnResult(false, current);
                }
            }
            long now = System.nanoTime();
            for (Op op : ops) {
                if (op instanceof Op.Put put && put.lease() != NO_LEASE && leases.alive(put.lease(), now) == null) {
                    throw new NotFound("lease " + put.lease() + " does not exist (it expired or was revoked); nothing was written",
                            "grant a new lease and write '" + put.key() + "' again");
                }
            }
            long revision = current + 1;
            List<Change> changes = new ArrayList<>(ops.size());
            for (Op op : ops) {
                KeyValue previous = index.current(op.key());
                switch (op) {
                    case Op.Put put -> changes.add(new Change.Put(new KeyValue(put.key(), put.value().clone(),
                            previous == null ? revision : previous.createRevision(), revision, put.lease()), previous));
                    case Op.Delete delete -> {
                        if (previous != null) {
                            changes.add(new Change.Delete(previous, revision));
                        }
                    }
                }
            }
            if (changes.isEmpty()) {
                return new TxnResult(true, current); // nothing changed, so no new revision (as in etcd)
            }
            commitLocked(changes, revision, batch -> { });
            return new TxnResult(true, revision);
        } finally {
            writes.unlock();
        }
    }

    @Override
    public Lease grant(Duration ttl) {
        if (ttl == null || ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
            throw new InvalidArgument("lease TTL " + ttl + " is outside " + MIN_TTL.toSeconds() + "s.."
                    + MAX_TTL.toDays() + " days", "ask for a TTL of at least one second");
        }
        long ttlMillis = ttl.toMillis();
        writes.lock();
        try {
            ensureWritable();
            long id = nextLease;
            write(batch -> {
                batch.insertLease(id, ttlMillis);
                batch.nextLease(id + 1);
            });
            nextLease = id + 1;
            leases.add(new LeaseTable.Live(id, ttlMillis, System.nanoTime()));
            return new Lease(id, Duration.ofMillis(ttlMillis));
        } finally {
            writes.unlock();
        }
    }

    @Override
    public void keepAlive(long leaseId) {
        // Under the write lock so a renewal cannot slip in after the reaper has decided the lease is dead.
        writes.lock();
        try {
            ensureOpen();
            long now = System.nanoTime();
            LeaseTable.Live lease = leases.alive(leaseId, now);
            if (lease == null) {
                throw new NotFound("lease " + leaseId + " does not exist (it expired or was revoked); its keys are gone",
                        "grant a new lease and write its keys again");
            }
            lease.restart(now);
        } finally {
            writes.unlock();
        }
    }

    @Override
    public Optional<Duration> timeToLive(long leaseId) {
        ensureOpen();
        return leases.timeToLive(leaseId, System.nanoTime());
    }

    @Override
    public void revoke(long leaseId) {
        writes.lock();
        try {
            ensureWritable();
            LeaseTable.Live lease = leases.any(leaseId);
            if (lease != null) {
                endLeaseLocked(lease);
            }
        } finally {
            writes.unlock();
        }
    }

    /**
     * This store keeps no history: a watch can start only at the next revision (or "now", 0). An
     * older start revision is answered with {@link WatchListener#compacted} at once, so the caller
     * re-reads, exactly as after an etcd compaction.
     */
    @Override
    public Watch watch(String prefix, long fromRevision, WatchListener listener) {
        TxnCheck.checkWatch(prefix, fromRevision, listener);
        // Under the write lock: the watch sees exactly the writes that commit after this call.
        writes.lock();
        try {
            ensureOpen();
            long next = index.revision() + 1;
            if (fromRevision != 0 && fromRevision < next) {
                Thread.ofVirtual().name("berth-watch " + prefix).start(() -> listener.compacted(next));
                return () -> { };
            }
            return watches.open(prefix, listener::event);
        } finally {
            writes.unlock();
        }
    }

    @Override
    public void close() {
        writes.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            watches.closeAll();
            tables.close();
            directory.close();
        } finally {
            writes.unlock();
        }
        reaper.close(); // outside the lock: the reaper may be waiting for it
    }

    /** For tests: a SQLite pragma as this store's connection sees it. */
    String pragma(String name) {
        writes.lock();
        try {
            ensureOpen();
            return tables.pragma(name);
        } finally {
            writes.unlock();
        }
    }

    private void expireDue() {
        writes.lock();
        try {
            if (closed || lost.get() != null) {
                return; // a lost store writes nothing, so its leases' keys cannot be deleted either
            }
            for (LeaseTable.Live lease : leases.due(System.nanoTime())) {
                endLeaseLocked(lease);
            }
        } finally {
            writes.unlock();
        }
    }

    /** Deletes the lease and all its keys in one transaction: one revision, one DELETE event per key. */
    private void endLeaseLocked(LeaseTable.Live lease) {
        long revision = index.revision() + 1;
        List<Change> changes = new ArrayList<>(lease.keys.size());
        lease.keys.stream().sorted(Keys.ORDER).forEach(key -> {
            KeyValue kv = index.current(key);
            if (kv != null) {
                changes.add(new Change.Delete(kv, revision));
            }
        });
        commitLocked(changes, revision, batch -> batch.deleteLease(lease.id));
        leases.remove(lease.id);
    }

    /** Keys bound to a lease the database no longer has; they would have been deleted with it. */
    private void deleteOrphans(List<KeyValue> orphans) {
        writes.lock();
        try {
            long revision = index.revision() + 1;
            List<Change> changes = new ArrayList<>();
            Set<Long> gone = new HashSet<>();
            for (KeyValue kv : orphans) {
                changes.add(new Change.Delete(kv, revision));
                gone.add(kv.lease());
            }
            commitLocked(changes, revision, batch -> { });
            System.getLogger(SqliteStateStore.class.getName()).log(System.Logger.Level.WARNING,
                    "deleted " + orphans.size() + " keys bound to missing leases " + gone + " in " + directory.path());
        } finally {
            writes.unlock();
        }
    }

    /**
     * Makes {@code changes} durable as {@code revision} (together with {@code extra}), then visible.
     * An empty change list writes only {@code extra} and keeps the revision.
     */
    private void commitLocked(List<Change> changes, long revision, SqliteTables.Work extra) {
        write(batch -> {
            for (Change change : changes) {
                switch (change) {
                    case Change.Put put -> batch.put(put.kv());
                    case Change.Delete delete -> batch.delete(delete.key());
                }
            }
            if (!changes.isEmpty()) {
                batch.revision(revision);
            }
            extra.run(batch);
        });
        if (changes.isEmpty()) {
            return;
        }
        index.apply(changes, revision);
        for (Change change : changes) {
            long before = change.previous() == null ? NO_LEASE : change.previous().lease();
            long after = change instanceof Change.Put put ? put.kv().lease() : NO_LEASE;
            leases.rebind(change.key(), before, after);
        }
        watches.publish(changes);
    }

    @Override
    public Optional<String> failure() {
        if (closed) {
            return Optional.of("the state store in " + directory.path() + " is closed");
        }
        if (lost.get() == null) {
            directory.changed().ifPresent(this::markLost);
        }
        String why = lost.get();
        if (why != null) {
            return Optional.of(why);
        }
        String error = lastWriteError;
        return error == null ? Optional.empty() : Optional.of("the last write to the state database failed: " + error);
    }

    /**
     * Runs one SQLite write transaction, then checks that it went to the files this store opened:
     * a write into a removed or replaced database is reported as lost, never as done.
     */
    private void write(SqliteTables.Work work) {
        try {
            tables.write(work);
        } catch (BackendFailure e) {
            Optional<String> changed = directory.changed();
            if (changed.isPresent()) {
                markLost(changed.get());
                throw unavailable(e);
            }
            lastWriteError = e.getMessage();
            throw e;
        }
        Optional<String> changed = directory.changed();
        if (changed.isPresent()) {
            markLost(changed.get());
            throw unavailable(null);
        }
        lastWriteError = null;
    }

    private void markLost(String why) {
        if (lost.compareAndSet(null, why)) {
            System.getLogger(SqliteStateStore.class.getName()).log(System.Logger.Level.ERROR,
                    "the state store has lost its files: " + why + ". Every change is refused from now on "
                            + "(reads answer from memory); " + RECOVERY);
        }
    }

    private static final String RECOVERY = "stop `berth serve`, then restore the state directory and start "
            + "again, or start it with `berth serve --adopt-pool` to rebuild the volume records from the loop pool";

    private Unavailable unavailable(Throwable cause) {
        return new Unavailable("the state store cannot save changes any more: " + lost.get()
                + "; this change was not made", RECOVERY, cause);
    }

    private void ensureWritable() {
        ensureOpen();
        if (lost.get() != null) {
            throw unavailable(null);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new BackendFailure("the state store in " + directory.path() + " is closed",
                    "Berth is shutting down; retry after it has started again");
        }
    }
}
