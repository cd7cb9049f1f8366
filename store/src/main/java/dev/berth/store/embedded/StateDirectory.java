package dev.berth.store.embedded;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.Busy;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The state directory, owned by one store at a time. The lock is an OS file lock, so a second
 * {@code berth serve} on the same directory fails at once instead of corrupting the state, and a
 * process killed with -9 leaves no stale lock behind.
 *
 * <p>An OS lock and an open database only hold the files they were opened on: after
 * {@code rm -rf <dir>} (or a restore that swaps {@code state.db}) SQLite goes on writing into
 * unlinked inodes and a second Berth finds the path free. So the directory, the lock file and the
 * database are identified by device and inode when they are opened, and {@link #changed()} tells
 * whether the paths still name those files. It costs one {@code lstat} per file (microseconds; a
 * write waits for an fsync, milliseconds), so the store asks after every write and at every
 * health check.
 */
final class StateDirectory implements AutoCloseable {
    static final String DATABASE = "state.db";
    static final String LOCK = "lock";

    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    /**
     * Directories this JVM holds. POSIX locks belong to the process, so a second channel in the
     * same JVM would not be refused by the OS, and closing it could drop the first one's lock.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;
    private final FileId dirId;
    private final FileId lockId;
    /** Set once the database is open (see {@link #databaseOpened}); the WAL once SQLite has made it. */
    private volatile FileId databaseId;
    private volatile FileId walId;
    private boolean closed;

    /**
     * A file as the kernel knows it: the JDK's file key, which on Linux is st_dev and st_ino. Equal
     * ids are the same file, whatever its path.
     */
    record FileId(Object key) {
    }

    private StateDirectory(Path dir, FileChannel channel, FileLock lock, FileId dirId, FileId lockId) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
        this.dirId = dirId;
        this.lockId = lockId;
    }

    static StateDirectory acquire(Path requested) {
        Path dir = create(requested);
        if (!HELD.add(dir)) {
            throw busy(dir);
        }
        FileChannel channel = null;
        try {
            Path lockFile = dir.resolve(LOCK);
            createPrivateFile(lockFile);
            channel = FileChannel.open(lockFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw busy(dir);
            }
            // For whoever wonders who holds it (e.g. `cat lock`); nothing reads it back.
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            // Identified after locking: a lock file swapped before that is the one we hold and check.
            FileId dirId = id(dir).orElseThrow(() -> new NoSuchFileException(dir.toString()));
            FileId lockId = id(lockFile).orElseThrow(() -> new NoSuchFileException(lockFile.toString()));
            return new StateDirectory(dir, channel, lock, dirId, lockId);
        } catch (IOException e) {
            giveUp(dir, channel);
            throw new BackendFailure("cannot lock state directory " + dir + ": " + e.getMessage(),
                    "check that " + dir + " is writable by the user running Berth", e);
        } catch (OverlappingFileLockException e) {
            giveUp(dir, channel);
            throw busy(dir);
        } catch (RuntimeException | Error e) {
            giveUp(dir, channel);
            throw e;
        }
    }

    private static void giveUp(Path dir, FileChannel channel) {
        closeQuietly(channel);
        HELD.remove(dir);
    }

    Path path() {
        return dir;
    }

    Path database() {
        return dir.resolve(DATABASE);
    }

    Path wal() {
        return dir.resolve(DATABASE + "-wal");
    }

    /** Records which files SQLite has open, right after it opened (and read) the database. */
    void databaseOpened() {
        try {
            databaseId = id(database()).orElseThrow(() -> new NoSuchFileException(database().toString()));
            walId = id(wal()).orElse(null);
        } catch (IOException e) {
            throw new BackendFailure("cannot read " + database() + " after opening it: " + e.getMessage(),
                    "check that " + dir + " is still there and readable by the user running Berth", e);
        }
    }

    /**
     * Why the directory is no longer the one this store opened: it, the lock file, the database or
     * its WAL was removed or replaced. Empty while all of them are still the files opened.
     */
    Optional<String> changed() {
        Optional<String> why = changed(dir, dirId, "the state directory");
        if (why.isEmpty()) {
            why = changed(dir.resolve(LOCK), lockId, "its lock file");
        }
        if (why.isEmpty() && databaseId != null) {
            why = changed(database(), databaseId, "the database");
        }
        if (why.isEmpty()) {
            FileId wal = walId;
            if (wal == null) {
                try {
                    walId = id(wal()).orElse(null); // SQLite makes the WAL when it first needs it
                } catch (IOException e) {
                    why = Optional.of("the database's write-ahead log " + wal() + " cannot be read (" + e.getMessage() + ")");
                }
            } else {
                why = changed(wal(), wal, "the database's write-ahead log");
            }
        }
        return why;
    }

    private static Optional<String> changed(Path path, FileId expected, String what) {
        Optional<FileId> now;
        try {
            now = id(path);
        } catch (IOException e) {
            return Optional.of(what + " " + path + " cannot be read (" + e.getMessage() + ")");
        }
        if (now.isEmpty()) {
            return Optional.of(what + " " + path + " was removed while Berth was using it");
        }
        if (!now.get().equals(expected)) {
            return Optional.of(what + " " + path + " was replaced by another file while Berth was using it");
        }
        return Optional.empty();
    }

    /** The id of {@code path} itself (a symlink is not followed); empty if nothing is there. */
    private static Optional<FileId> id(Path path) throws IOException {
        try {
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (key == null) {
                throw new IOException("the file system of " + path + " does not tell inode numbers");
            }
            return Optional.of(new FileId(key));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** Creates the database file 0600 before SQLite does: SQLite gives its -wal and -shm files the same mode. */
    Path prepareDatabase() {
        Path db = database();
        try {
            createPrivateFile(db);
            return db;
        } catch (IOException e) {
            throw new BackendFailure("cannot create " + db + ": " + e.getMessage(),
                    "check that " + dir + " is writable by the user running Berth", e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel below releases it as well
        }
        closeQuietly(channel);
        HELD.remove(dir);
    }

    private static Path create(Path requested) {
        if (requested == null) {
            throw new BackendFailure("no state directory given", "configure a state directory");
        }
        Path dir = requested.toAbsolutePath().normalize();
        try {
            if (!Files.isDirectory(dir)) {
                if (dir.getParent() != null) {
                    Files.createDirectories(dir.getParent());
                }
                try {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
                    Files.setPosixFilePermissions(dir, DIR_MODE); // the umask may have taken bits away
                } catch (FileAlreadyExistsException raced) {
                    // someone else created it; the lock decides who may use it
                }
            }
            return dir.toRealPath();
        } catch (IOException e) {
            throw new BackendFailure("cannot create state directory " + dir + ": " + e.getMessage(),
                    "check that the parent directory exists and is writable by the user running Berth", e);
        }
    }

    private static void createPrivateFile(Path file) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE_MODE));
        } catch (FileAlreadyExistsException exists) {
            // keep whatever mode the owner chose for an existing file
            return;
        }
        Files.setPosixFilePermissions(file, FILE_MODE);
    }

    private static Busy busy(Path dir) {
        return new Busy("state directory " + dir + " is in use by another Berth process",
                "stop the other `berth serve` first or use another state directory");
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing was written through it that matters
            }
        }
    }
}
