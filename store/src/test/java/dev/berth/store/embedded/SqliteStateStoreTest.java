package dev.berth.store.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.Busy;
import dev.berth.core.error.Unavailable;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StateStore.KeyValue;
import dev.berth.core.spi.StateStore.WatchEvent;
import dev.berth.store.StateStoreContract;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@SuppressWarnings("try") // watches opened in try-with-resources only to be closed
class SqliteStateStoreTest extends StateStoreContract {
    @TempDir
    Path tmp;
    private SqliteStateStore current;

    private Path dir() {
        return tmp.resolve("state");
    }

    @Override
    protected StateStore open() {
        current = SqliteStateStore.open(dir());
        return current;
    }

    @Override
    protected StateStore reopen() {
        current.close();
        current = SqliteStateStore.open(dir());
        return current;
    }

    // ---- this store only -------------------------------------------------------------------

    @Test
    void freshStoreIsAtRevisionZero() {
        assertEquals(0, store.revision());
        assertEquals(1, store.put("k", bytes("v")));
    }

    @Test
    void secondOpenInThisProcessIsBusy() throws Exception {
        Busy busy = assertThrows(Busy.class, () -> SqliteStateStore.open(dir()));
        assertEquals("state directory " + dir().toRealPath() + " is in use by another Berth process", busy.getMessage());
        assertEquals("stop the other `berth serve` first or use another state directory", busy.hint());
        // The failed attempt must not have loosened the first store's hold, for us or for others.
        store.put("still", bytes("works"));
        assertTrue(child("try-open", dir().toString()).startsWith("busy state directory "));
    }

    @Test
    void secondOpenFromAnotherProcessIsBusyUntilClose() throws Exception {
        String answer = child("try-open", dir().toString());
        assertEquals("busy state directory " + dir().toRealPath() + " is in use by another Berth process"
                + " | stop the other `berth serve` first or use another state directory", answer);
        store.close();
        store = null;
        assertEquals("opened", child("try-open", dir().toString()));
        store = open();
    }

    @Test
    void sameDirectoryThroughAnotherPathIsStillBusy() throws IOException {
        Path link = Files.createSymbolicLink(tmp.resolve("link"), dir());
        assertThrows(Busy.class, () -> SqliteStateStore.open(link));
        assertThrows(Busy.class, () -> SqliteStateStore.open(tmp.resolve("x/../state")));
    }

    @Test
    void filesArePrivate() throws IOException {
        store.put("k", bytes("v")); // makes SQLite create its -wal file
        Path nested = tmp.resolve("a/b/state");
        try (SqliteStateStore other = SqliteStateStore.open(nested)) {
            other.put("k", bytes("v"));
            assertEquals(nested.toRealPath(), other.directory());
            for (Path d : List.of(dir(), nested)) {
                assertEquals("rwx------", mode(d), d.toString());
                assertEquals("rw-------", mode(d.resolve("state.db")));
                assertEquals("rw-------", mode(d.resolve("lock")));
                assertEquals("rw-------", mode(d.resolve("state.db-wal")));
            }
        }
    }

    @Test
    void sqliteRunsInWalModeWithFullSyncAndNoMemoryMappedFile() throws Exception {
        assertEquals("wal", current.pragma("journal_mode"));
        assertEquals("2", current.pragma("synchronous"), "2 = FULL: every commit is fsynced");
        assertEquals("0", current.pragma("mmap_size"), "no mmap of the database: an I/O error must not be a SIGBUS");
        assertEquals("exclusive", current.pragma("locking_mode"));
        long revision = store.put("volumes/v1", bytes("{\"name\":\"data\"}"));
        assertTrue(Files.exists(dir().resolve("state.db-wal")));
        assertFalse(Files.exists(dir().resolve("state.db-shm")),
                "EXCLUSIVE before the first WAL access keeps the WAL index in heap memory, not in an mmap'ed -shm file");
        // The price of EXCLUSIVE: another process cannot open the database while Berth has it ...
        try (Connection sqlite = DriverManager.getConnection("jdbc:sqlite:" + dir().resolve("state.db"));
             Statement st = sqlite.createStatement()) {
            SQLException locked = assertThrows(SQLException.class, () -> st.executeQuery("SELECT count(*) FROM kv"));
            assertTrue(locked.getMessage().contains("locked") || locked.getMessage().contains("BUSY"), locked.getMessage());
        }
        // ... but a copy of the database and its WAL can be inspected (what the docs tell operators).
        Path copy = Files.createDirectories(tmp.resolve("copy"));
        Files.copy(dir().resolve("state.db"), copy.resolve("state.db"));
        Files.copy(dir().resolve("state.db-wal"), copy.resolve("state.db-wal"));
        try (Connection sqlite = DriverManager.getConnection("jdbc:sqlite:" + copy.resolve("state.db"));
             Statement st = sqlite.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT value, mod_rev FROM kv WHERE key = 'volumes/v1'")) {
                assertTrue(rs.next());
                assertEquals("{\"name\":\"data\"}", new String(rs.getBytes(1), StandardCharsets.UTF_8));
                assertEquals(revision, rs.getLong(2));
            }
        }
        assertEquals(revision + 1, store.put("volumes/v2", bytes("{}")));
    }

    // ---- lost files ----------------------------------------------------------------------------

    @Test
    void removedDirectoryIsNoticedAtTheNextWriteWhichFailsAsDoesEveryLaterOne() throws Exception {
        store.put("volumes/a", bytes("kept in memory"));
        long revision = store.revision();
        assertEquals(Optional.empty(), store.failure());
        deleteTree(dir());

        Unavailable e = assertThrows(Unavailable.class, () -> store.put("volumes/b", bytes("lost")));
        assertTrue(e.getMessage().startsWith("the state store cannot save changes any more: the state directory "
                + tmp.toRealPath().resolve("state") + " was removed while Berth was using it"), e.getMessage());
        assertTrue(e.hint().contains("berth serve --adopt-pool"), e.hint());
        assertEquals("unavailable", e.code());
        assertTrue(store.failure().orElseThrow().contains("was removed"), store.failure().toString());
        // Reads go on from memory; the refused write left no trace there.
        assertEquals("kept in memory", text(store.get("volumes/a").orElseThrow().value()));
        assertTrue(store.get("volumes/b").isEmpty());
        assertEquals(revision, store.revision());
        // Every later change is refused without touching the disk: nothing re-creates the directory.
        assertThrows(Unavailable.class, () -> store.put("volumes/c", bytes("x")));
        assertThrows(Unavailable.class, () -> store.delete("volumes/a"));
        assertThrows(Unavailable.class, () -> store.grant(Duration.ofSeconds(5)));
        assertThrows(Unavailable.class, () -> store.compareAndPut("volumes/a", 1, bytes("x"), StateStore.NO_LEASE));
        assertFalse(Files.exists(dir()), "the lost store must not write a new directory into place");
    }

    @Test
    void theHealthCheckNoticesARemovedDirectoryBeforeAnyWrite() throws Exception {
        store.put("k", bytes("v"));
        deleteTree(dir());
        assertTrue(store.failure().orElseThrow().contains("was removed while Berth was using it"), store.failure().toString());
        assertThrows(Unavailable.class, () -> store.put("k2", bytes("v")));
        // It stays lost, even once a directory of that name is back (a second Berth may own it).
        Files.createDirectories(dir());
        assertTrue(store.failure().isPresent());
        assertThrows(Unavailable.class, () -> store.put("k3", bytes("v")));
    }

    @Test
    void aDatabaseSwappedUnderTheStoreIsNoticed() throws Exception {
        store.put("k", bytes("v"));
        Path db = dir().resolve("state.db");
        // What a restore from a backup does: same name, same content, another file.
        Files.copy(db, tmp.resolve("backup.db"));
        Files.move(tmp.resolve("backup.db"), db, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertTrue(store.failure().orElseThrow().contains("the database " + db.toRealPath() + " was replaced"),
                store.failure().toString());
        assertThrows(Unavailable.class, () -> store.put("k2", bytes("v")));
    }

    @Test
    void aRemovedLockFileIsNoticedBecauseASecondBerthCouldNowLockTheDirectory() throws Exception {
        store.put("k", bytes("v"));
        Files.delete(dir().resolve("lock"));
        // The directory lock no longer keeps a second store out; only SQLite's own exclusive lock on
        // the database (still the same file) stops it now.
        String second = child("try-open", dir().toString());
        assertTrue(second.startsWith("failed cannot open state database") && second.contains("locked"), second);
        Unavailable e = assertThrows(Unavailable.class, () -> store.put("k2", bytes("v")));
        assertTrue(e.getMessage().contains("its lock file " + dir().toRealPath().resolve("lock") + " was replaced"), e.getMessage());
    }

    @Test
    void aRemovedWalIsNoticed() throws Exception {
        store.put("k", bytes("v"));
        Files.delete(dir().resolve("state.db-wal"));
        Unavailable e = assertThrows(Unavailable.class, () -> store.put("k2", bytes("v")));
        assertTrue(e.getMessage().contains("write-ahead log"), e.getMessage());
    }

    @Test
    void aLostStoreStopsReapingLeasesWithoutSpinning() throws Exception {
        StateStore.Lease lease = store.grant(Duration.ofSeconds(1));
        putLeased("nodes/n1", bytes("alive"), lease.id());
        deleteTree(dir());
        assertTrue(store.failure().isPresent());
        Thread.sleep(1500);
        String reaperName = "berth-lease-reaper " + tmp.toRealPath();
        // The lease is past its deadline, but its keys cannot be deleted on disk, so memory keeps them
        // too (memory never runs ahead of the disk) and the reaper naps instead of retrying every ms.
        assertTrue(store.get("nodes/n1").isPresent());
        Thread reaper = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(reaperName)).findFirst().orElseThrow();
        long cpu = java.lang.management.ManagementFactory.getThreadMXBean().getThreadCpuTime(reaper.threadId());
        Thread.sleep(1000);
        long spent = java.lang.management.ManagementFactory.getThreadMXBean().getThreadCpuTime(reaper.threadId()) - cpu;
        assertTrue(spent < TimeUnit.MILLISECONDS.toNanos(50), "the reaper used " + spent / 1_000_000 + " ms CPU in 1 s");
    }

    /**
     * {@code chattr +i} makes every write fail for real (root only; the flag stops root too). A
     * failed write changes nothing, on disk or in memory, and once the disk takes writes again the
     * next one works as a whole: no statement of it may commit on its own.
     */
    @Test
    void aWriteRefusedByTheDiskChangesNothingAndTheNextOneWorksWhole() throws Exception {
        requireRoot();
        store.put("a", bytes("1"));
        long revision = store.revision();
        List<Path> files = List.of(dir().resolve("state.db"), dir().resolve("state.db-wal"));
        try {
            for (Path f : files) {
                chattr("+i", f);
            }
            BackendFailure e = assertThrows(BackendFailure.class, () -> store.txn(List.of(), List.of(
                    new StateStore.Op.Put("b", bytes("2"), StateStore.NO_LEASE),
                    new StateStore.Op.Put("c", bytes("3"), StateStore.NO_LEASE))));
            assertTrue(e.getMessage().startsWith("state database write failed: [SQLITE_IOERR"), e.getMessage());
            assertTrue(store.failure().orElseThrow().startsWith("the last write to the state database failed: "),
                    store.failure().toString());
            assertTrue(store.get("b").isEmpty());
            assertEquals(revision, store.revision());
            assertThrows(BackendFailure.class, () -> store.put("d", bytes("4")), "still refused while the flag is on");
        } finally {
            for (Path f : files) {
                chattr("-i", f);
            }
        }
        assertEquals(revision + 1, store.txn(List.of(), List.of(
                new StateStore.Op.Put("e", bytes("5"), StateStore.NO_LEASE),
                new StateStore.Op.Put("f", bytes("6"), StateStore.NO_LEASE))).revision());
        assertEquals(Optional.empty(), store.failure(), "a write that succeeds clears the report");
        store = reopen();
        assertEquals(List.of("a", "e", "f"), store.list("").stream().map(KeyValue::key).toList());
        assertEquals(revision + 1, store.revision());
    }

    @Test
    void leaseExpiresPromptlyAndNeverEarly() {
        long start = System.nanoTime();
        StateStore.Lease lease = store.grant(Duration.ofSeconds(1));
        CompletableFuture<Long> deletedAt = new CompletableFuture<>();
        try (StateStore.Watch ignored = store.watch("nodes/", event -> {
            if (event.type() == WatchEvent.Type.DELETE) {
                deletedAt.complete(System.nanoTime());
            }
        })) {
            putLeased("nodes/n1", bytes("alive"), lease.id());
            long elapsed = deletedAt.orTimeout(PATIENCE.toSeconds(), TimeUnit.SECONDS).join() - start;
            assertTrue(elapsed >= Duration.ofSeconds(1).toNanos(), "expired early, after " + elapsed / 1_000_000 + " ms");
            // The reaper naps at most 100 ms; a second of slack covers a loaded machine.
            assertTrue(elapsed < Duration.ofSeconds(2).toNanos(), "expired late, after " + elapsed / 1_000_000 + " ms");
        }
    }

    @Test
    void leasesGetAFullTtlAgainAfterReopen() throws InterruptedException {
        StateStore.Lease lease = store.grant(Duration.ofSeconds(4));
        putLeased("nodes/n1", bytes("alive"), lease.id());
        Thread.sleep(2000); // let half the TTL pass before the "restart"
        assertTrue(store.timeToLive(lease.id()).orElseThrow().compareTo(Duration.ofMillis(2100)) < 0);
        store = reopen();
        Duration left = store.timeToLive(lease.id()).orElseThrow();
        assertTrue(left.compareTo(Duration.ofMillis(3000)) > 0, "after reopen the lease has its full TTL again, not " + left);
        assertTrue(store.get("nodes/n1").isPresent());
    }

    @Test
    void closeIsIdempotentAndLaterCallsFail() {
        Recorder seen = new Recorder();
        store.watch("k", seen);
        store.close();
        store.close();
        assertThrows(BackendFailure.class, () -> store.get("k"));
        assertThrows(BackendFailure.class, () -> store.put("k", bytes("v")));
        assertThrows(BackendFailure.class, () -> store.grant(Duration.ofSeconds(5)));
        assertThrows(BackendFailure.class, () -> store.watch("", e -> { }));
        store = null;
        assertEquals(List.of(), seen.events());
    }

    @Test
    void keysOfALeaseMissingFromTheDatabaseAreDeletedAtOpen() throws Exception {
        store.put("plain", bytes("stays"));
        long revision = store.revision();
        store.close();
        try (Connection sqlite = DriverManager.getConnection("jdbc:sqlite:" + dir().resolve("state.db"));
             Statement st = sqlite.createStatement()) {
            st.execute("INSERT INTO kv (key, value, create_rev, mod_rev, lease) VALUES ('nodes/ghost', x'00', 1, 1, 4242)");
        }
        store = open();
        assertTrue(store.get("nodes/ghost").isEmpty());
        assertTrue(store.get("plain").isPresent());
        assertEquals(revision + 1, store.revision());
    }

    @Test
    void databaseFromANewerBerthIsRefusedAndTheDirectoryLeftFree() throws Exception {
        store.close();
        try (Connection sqlite = DriverManager.getConnection("jdbc:sqlite:" + dir().resolve("state.db"));
             Statement st = sqlite.createStatement()) {
            st.execute("PRAGMA user_version = 99");
        }
        BackendFailure e = assertThrows(BackendFailure.class, () -> SqliteStateStore.open(dir()));
        assertTrue(e.getMessage().contains("schema version 99"), e.getMessage());
        try (Connection sqlite = DriverManager.getConnection("jdbc:sqlite:" + dir().resolve("state.db"));
             Statement st = sqlite.createStatement()) {
            st.execute("PRAGMA user_version = 1");
        }
        store = open();
    }

    @Test
    void damagedDatabaseIsABackendFailureWithSqlitesMessage() throws Exception {
        store.close();
        Files.write(dir().resolve("state.db"), "this is not a database, just some text that fills a page".repeat(100).getBytes(StandardCharsets.UTF_8));
        Files.deleteIfExists(dir().resolve("state.db-wal"));
        Files.deleteIfExists(dir().resolve("state.db-shm"));
        BackendFailure e = assertThrows(BackendFailure.class, () -> SqliteStateStore.open(dir()));
        assertTrue(e.getMessage().contains("not a database"), e.getMessage());
        assertTrue(e.getMessage().contains("state.db"), e.getMessage());
        store = null;
        // A failed open must release the directory: the next attempt, here or elsewhere, gets past the lock.
        assertThrows(BackendFailure.class, () -> SqliteStateStore.open(dir()));
        String other = child("try-open", dir().toString());
        assertTrue(other.startsWith("failed ") && other.contains("not a database"), other);
    }

    @Test
    void readsComeFromMemory() {
        List<StateStore.Op> batch = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            batch.add(new StateStore.Op.Put("volumes/%05d".formatted(i), bytes("{\"n\":" + i + "}"), StateStore.NO_LEASE));
            if (batch.size() == 1000) {
                store.txn(List.of(), batch);
                batch = new ArrayList<>();
            }
        }
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            long t = System.nanoTime();
            assertEquals(10_000, store.list("volumes/").size());
            best = Math.min(best, System.nanoTime() - t);
        }
        // Typically 1-3 ms; a generous bound that a disk read per key would still blow through.
        assertTrue(best < TimeUnit.MILLISECONDS.toNanos(100), "best list of 10,000 keys took " + best / 1_000_000 + " ms");
    }

    // ---- crashes ---------------------------------------------------------------------------

    @Test
    @Timeout(120)
    void everyReturnedWriteSurvivesAnAbruptHalt() throws Exception {
        store.close();
        store = null;
        int n = 200;
        Process child = startChild("write-then-halt", dir().toString(), Integer.toString(n));
        String line;
        try (BufferedReader out = child.inputReader(StandardCharsets.UTF_8)) {
            line = out.readLine();
        }
        assertEquals(137, waitFor(child), this::childErrors);
        assertNotNull(line, this::childErrors);
        String[] parts = line.split(" ");
        assertEquals("written", parts[0], line);
        long revision = Long.parseLong(parts[1]);
        long lease = Long.parseLong(parts[2]);
        assertEquals(n + 1, revision);

        store = open();
        assertEquals(revision, store.revision());
        for (int i = 0; i < n; i++) {
            KeyValue kv = store.get(CrashChild.key(i)).orElseThrow(() -> new AssertionError("lost a returned write"));
            assertEquals("value " + (kv.modRevision() - 2), text(kv.value()));
        }
        assertEquals(lease, store.get("crash/leased").orElseThrow().lease());
        assertTrue(store.timeToLive(lease).isPresent(), "the lease survived the crash");
        assertEquals(revision + 1, store.put("after", bytes("crash")));
    }

    @Test
    @Timeout(120)
    void killMinus9InTheMiddleOfWritingLosesNothingThatWasCommitted() throws Exception {
        store.close();
        store = null;
        Process child = startChild("write-until-killed", dir().toString());
        long lastIndex = -1;
        long lastRevision = -1;
        try (BufferedReader out = child.inputReader(StandardCharsets.UTF_8)) {
            String line;
            while (lastIndex < 300 && (line = out.readLine()) != null) {
                String[] parts = line.split(" ");
                lastIndex = Long.parseLong(parts[1]);
                lastRevision = Long.parseLong(parts[2]);
            }
            child.destroyForcibly(); // SIGKILL, most likely in the middle of a commit
            assertEquals(137, waitFor(child));
        }
        assertTrue(lastIndex >= 300, this::childErrors);

        store = open();
        long revision = store.revision();
        assertTrue(revision >= lastRevision, "revision " + revision + " is behind the reported " + lastRevision);
        List<KeyValue> keys = store.list("crash/");
        // One key per transaction: what survives is exactly the first `revision` writes, no holes.
        assertEquals(revision, keys.size());
        for (int i = 0; i < keys.size(); i++) {
            assertEquals(CrashChild.key(i), keys.get(i).key());
            assertEquals(i + 1, keys.get(i).modRevision());
            assertEquals("value " + i, text(keys.get(i).value()));
        }
    }

    // ---- helpers ---------------------------------------------------------------------------

    private static void requireRoot() throws IOException {
        boolean root = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
        if (Boolean.getBoolean("berth.requireRoot")) {
            assertTrue(root, "this test needs root (chattr); CI runs as root");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(root, "needs root (chattr +i)");
    }

    private static void chattr(String flag, Path file) throws Exception {
        Process p = new ProcessBuilder("chattr", flag, file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "chattr " + flag + " " + file + ": " + out);
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    /** Runs a {@link CrashChild} to completion and returns its one line of output. */
    private String child(String... args) throws Exception {
        Process child = startChild(args);
        String line;
        try (BufferedReader out = child.inputReader(StandardCharsets.UTF_8)) {
            line = out.readLine();
        }
        assertEquals(0, waitFor(child), () -> "child " + String.join(" ", args) + " failed: " + childErrors());
        assertNotNull(line, this::childErrors);
        return line;
    }

    /**
     * Starts {@link CrashChild} in a new JVM: the same java binary, the test class path. Its stderr
     * goes to a file (writing to the inherited stream would garble surefire's channel).
     */
    private Process startChild(String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), CrashChild.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(tmp.resolve("child.err").toFile()))
                .start();
    }

    private String childErrors() {
        try {
            Path err = tmp.resolve("child.err");
            return Files.exists(err) ? "child stderr:\n" + Files.readString(err) : "child wrote nothing to stderr";
        } catch (IOException e) {
            return "child stderr unreadable: " + e;
        }
    }

    private static int waitFor(Process child) throws InterruptedException {
        if (!child.waitFor(60, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            throw new AssertionError("child JVM did not finish within 60 s");
        }
        return child.exitValue();
    }
}
