package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a backing file for the span of "is it attached? if not, attach it", so two
 * Berth processes (native or tools, any mix) never bind two devices to one file.
 *
 * <p>Why this and not what losetup does: {@code losetup --nooverlap} looks for an overlapping
 * device and then sets one up under no lock at all (util-linux create_loop: loopcxt_find_overlap,
 * then find_unused + setup_device, retried on EBUSY), and it takes no lock Berth could share
 * (no flock on /dev/loop-control; only on the loop device node, against udev). So against a
 * foreign losetup nothing is safe, as before; among Berth processes this lock is. It is a POSIX
 * (fcntl) lock on the file itself: no lock file to place, per file (attaches of different files
 * do not wait for each other), dropped by the kernel if the process dies. POSIX locks belong to
 * the process and go when it closes any descriptor of the file, so the native binder's close of
 * its backing descriptor ends the lock early, but only after LOOP_CONFIGURE, when the device is
 * already visible in sysfs to the next holder's lookup. Within one JVM, callers must serialize
 * (the JDK refuses overlapping locks from two threads), which {@link LoopDevices} does.
 */
final class BackingFileLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private BackingFileLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static BackingFileLock take(Path file) {
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.WRITE);
            return new BackingFileLock(channel, channel.lock());
        } catch (IOException e) {
            closeQuietly(channel);
            throw new BackendFailure("cannot lock " + file + " to attach it: " + e.getMessage(),
                    "check that the backing file exists and is writable by Berth", e);
        }
    }

    @Override
    public void close() {
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } catch (IOException ignored) {
            // closing the channel below releases it too
        } finally {
            closeQuietly(channel);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // a channel opened only to lock has nothing to flush
            }
        }
    }
}
