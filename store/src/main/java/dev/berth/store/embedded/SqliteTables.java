package dev.berth.store.embedded;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.spi.StateStore.KeyValue;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The durable half of the store: three tables in one SQLite file, written only inside
 * transactions that are fsynced before {@link #write} returns. Not thread-safe; the store calls it
 * under its write lock. SQLite holds the file exclusively and maps none of it into memory (see
 * {@link #open}).
 *
 * <pre>
 * kv     (key TEXT PRIMARY KEY, value BLOB, create_rev, mod_rev, lease)   the data
 * leases (id INTEGER PRIMARY KEY, ttl_ms)                                 live leases
 * meta   (revision, next_lease)                                           one row
 * </pre>
 */
final class SqliteTables implements AutoCloseable {
    static final int SCHEMA_VERSION = 1;

    private final Path file;
    private final Connection connection;
    private final PreparedStatement putKey;
    private final PreparedStatement deleteKey;
    private final PreparedStatement setRevision;
    private final PreparedStatement setNextLease;
    private final PreparedStatement insertLease;
    private final PreparedStatement deleteLease;
    /** BEGIN / COMMIT / ROLLBACK. */
    private final Statement control;

    /** Everything in the file, read once at open. */
    record Contents(long revision, long nextLease, List<KeyValue> keys, List<StoredLease> leases) {
    }

    record StoredLease(long id, long ttlMillis) {
    }

    /** The statements one write may run; each call joins the transaction {@link #write} opened. */
    interface Batch {
        void put(KeyValue kv) throws SQLException;

        void delete(String key) throws SQLException;

        void revision(long revision) throws SQLException;

        void nextLease(long id) throws SQLException;

        void insertLease(long id, long ttlMillis) throws SQLException;

        void deleteLease(long id) throws SQLException;
    }

    interface Work {
        void run(Batch batch) throws SQLException;
    }

    private SqliteTables(Path file, Connection connection) throws SQLException {
        this.file = file;
        this.connection = connection;
        this.putKey = connection.prepareStatement(
                "INSERT OR REPLACE INTO kv (key, value, create_rev, mod_rev, lease) VALUES (?, ?, ?, ?, ?)");
        this.deleteKey = connection.prepareStatement("DELETE FROM kv WHERE key = ?");
        this.setRevision = connection.prepareStatement("UPDATE meta SET revision = ?");
        this.setNextLease = connection.prepareStatement("UPDATE meta SET next_lease = ?");
        this.insertLease = connection.prepareStatement("INSERT INTO leases (id, ttl_ms) VALUES (?, ?)");
        this.deleteLease = connection.prepareStatement("DELETE FROM leases WHERE id = ?");
        this.control = connection.createStatement();
    }

    static SqliteTables open(Path file) {
        Connection connection = null;
        try {
            connection = DriverManager.getConnection("jdbc:sqlite:" + file);
            try (Statement st = connection.createStatement()) {
                // No memory-mapped I/O anywhere, so a file that cannot be written (chattr +i, a
                // failing disk, a truncated file) is an SQLite error and not a SIGBUS that kills
                // the JVM: mmap_size=0 for the database, and EXCLUSIVE locking set before the first
                // WAL access, which makes SQLite keep the WAL index in heap memory instead of an
                // mmap'ed -shm file ("WAL without shared memory", sqlite.org/wal.html). The price:
                // no other process can open the database while Berth has it (the directory lock
                // keeps other Berths out anyway); inspect a copy of state.db and state.db-wal.
                expect(st, "PRAGMA locking_mode = EXCLUSIVE", "exclusive");
                st.execute("PRAGMA mmap_size = 0");
                expect(st, "PRAGMA mmap_size", "0");
                // WAL: one fsync per commit. FULL: the WAL is fsynced on every commit, so a
                // returned write survives power loss, not only a crash.
                expect(st, "PRAGMA journal_mode = WAL", "wal");
                st.execute("PRAGMA synchronous = FULL");
                expect(st, "PRAGMA synchronous", "2");
                st.execute("PRAGMA busy_timeout = 5000");
                int version = intQuery(st, "PRAGMA user_version");
                if (version > SCHEMA_VERSION) {
                    throw new BackendFailure(file + " has schema version " + version
                            + "; this Berth understands up to " + SCHEMA_VERSION,
                            "run the Berth version that wrote it, or a newer one", null);
                }
                // Transactions are begun and ended by hand (see write), so JDBC stays in auto-commit.
                st.execute("BEGIN IMMEDIATE");
                st.execute("""
                        CREATE TABLE IF NOT EXISTS kv (
                          key        TEXT    PRIMARY KEY NOT NULL,
                          value      BLOB    NOT NULL,
                          create_rev INTEGER NOT NULL,
                          mod_rev    INTEGER NOT NULL,
                          lease      INTEGER NOT NULL DEFAULT 0
                        ) WITHOUT ROWID""");
                st.execute("CREATE TABLE IF NOT EXISTS leases (id INTEGER PRIMARY KEY, ttl_ms INTEGER NOT NULL)");
                st.execute("""
                        CREATE TABLE IF NOT EXISTS meta (
                          one        INTEGER PRIMARY KEY CHECK (one = 1),
                          revision   INTEGER NOT NULL,
                          next_lease INTEGER NOT NULL
                        )""");
                st.execute("INSERT OR IGNORE INTO meta (one, revision, next_lease) VALUES (1, 0, 1)");
                st.execute("PRAGMA user_version = " + SCHEMA_VERSION);
                st.execute("COMMIT");
            }
            return new SqliteTables(file, connection);
        } catch (SQLException e) {
            closeQuietly(connection);
            throw new BackendFailure("cannot open state database " + file + ": " + e.getMessage(),
                    "check the disk and the file; `sqlite3 " + file + " 'PRAGMA integrity_check'` tells whether it is damaged", e);
        } catch (RuntimeException e) {
            closeQuietly(connection);
            throw e;
        }
    }

    Contents load() {
        try (Statement st = connection.createStatement()) {
            long revision;
            long nextLease;
            try (ResultSet rs = st.executeQuery("SELECT revision, next_lease FROM meta")) {
                rs.next();
                revision = rs.getLong(1);
                nextLease = rs.getLong(2);
            }
            List<KeyValue> keys = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT key, value, create_rev, mod_rev, lease FROM kv")) {
                while (rs.next()) {
                    keys.add(new KeyValue(rs.getString(1), rs.getBytes(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)));
                }
            }
            List<StoredLease> leases = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT id, ttl_ms FROM leases")) {
                while (rs.next()) {
                    leases.add(new StoredLease(rs.getLong(1), rs.getLong(2)));
                }
            }
            return new Contents(revision, nextLease, keys, leases);
        } catch (SQLException e) {
            throw failure("read", e);
        }
    }

    /**
     * Runs {@code work} in one SQLite transaction; when this returns, the write is on disk, and when
     * it throws, nothing of it is.
     *
     * <p>BEGIN, COMMIT and ROLLBACK are sent by hand instead of through JDBC's auto-commit off: on
     * some errors (an I/O error, a full disk) SQLite rolls the transaction back by itself, JDBC's
     * rollback() then fails and never begins the next one, and every later statement would commit
     * on its own — half a transaction on disk, reported as failed.
     */
    void write(Work work) {
        try {
            control.execute("BEGIN IMMEDIATE");
            work.run(batch);
            control.execute("COMMIT");
        } catch (SQLException e) {
            try {
                control.execute("ROLLBACK");
            } catch (SQLException alreadyRolledBack) {
                // SQLite ended the transaction itself ("no transaction is active"): nothing to undo
            }
            throw failure("write", e);
        }
    }

    /** For tests and diagnostics: a pragma's value on this connection. */
    String pragma(String name) {
        try (Statement st = connection.createStatement()) {
            String value;
            try (ResultSet rs = st.executeQuery("PRAGMA " + name)) {
                value = rs.next() ? rs.getString(1) : "";
            }
            return value;
        } catch (SQLException e) {
            throw failure("read", e);
        }
    }

    @Override
    public void close() {
        closeQuietly(connection);
    }

    private final Batch batch = new Batch() {
        @Override
        public void put(KeyValue kv) throws SQLException {
            putKey.setString(1, kv.key());
            putKey.setBytes(2, kv.value());
            putKey.setLong(3, kv.createRevision());
            putKey.setLong(4, kv.modRevision());
            putKey.setLong(5, kv.lease());
            putKey.executeUpdate();
        }

        @Override
        public void delete(String key) throws SQLException {
            deleteKey.setString(1, key);
            deleteKey.executeUpdate();
        }

        @Override
        public void revision(long revision) throws SQLException {
            setRevision.setLong(1, revision);
            setRevision.executeUpdate();
        }

        @Override
        public void nextLease(long id) throws SQLException {
            setNextLease.setLong(1, id);
            setNextLease.executeUpdate();
        }

        @Override
        public void insertLease(long id, long ttlMillis) throws SQLException {
            insertLease.setLong(1, id);
            insertLease.setLong(2, ttlMillis);
            insertLease.executeUpdate();
        }

        @Override
        public void deleteLease(long id) throws SQLException {
            deleteLease.setLong(1, id);
            deleteLease.executeUpdate();
        }
    };

    private BackendFailure failure(String what, SQLException e) {
        return new BackendFailure("state database " + what + " failed: " + e.getMessage(),
                "check the disk holding " + file + " (full, read-only, failing?)", e);
    }

    private static void expect(Statement st, String sql, String expected) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            String got = rs.next() ? rs.getString(1) : null;
            if (!expected.equalsIgnoreCase(got)) {
                throw new SQLException(sql + " gave " + got + ", not " + expected);
            }
        }
    }

    private static int intQuery(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // nothing uncommitted is left to lose
            }
        }
    }
}
