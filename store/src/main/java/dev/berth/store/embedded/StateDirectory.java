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
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The state directory, owned by one store at a time. The lock is an OS file lock, so a second
 * {@code berth serve} on the same directory fails at once instead of corrupting the state, and a
 * process killed with -9 leaves no stale lock behind.
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
    private boolean closed;

    private StateDirectory(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
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
            return new StateDirectory(dir, channel, lock);
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
