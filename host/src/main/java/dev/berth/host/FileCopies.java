package dev.berth.host;

import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.NotFound;
import dev.berth.core.error.NotSupported;
import dev.berth.core.error.OutOfCapacity;
import dev.berth.core.spi.Progress;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Copies of whole files for snapshots and clones: a copy-on-write clone (FICLONE, instant, shares
 * every block until one side writes it) or a sparse copy that reads and writes only the data
 * ranges the filesystem reports (SEEK_DATA/SEEK_HOLE), so a 1 GiB image holding 3 MiB costs 3 MiB
 * to copy and to store. Both make the target exclusively (it must not exist) with mode 0600, and
 * delete it again when they fail: a half-made copy is never left behind.
 */
final class FileCopies {
    /** FICLONE = _IOW(0x94, 9, int): include/uapi/linux/fs.h. */
    static final long FICLONE = 0x40049409L;
    /** Progress is reported about this often (plus once at the end): often enough for a bar, cheap enough. */
    static final long PROGRESS_EVERY = 64L << 20;
    private static final int BUFFER = 1 << 20;
    private static final int MODE_0600 = 0600;

    private FileCopies() {
    }

    static void reflink(Path source, Path target) {
        HostPaths.check("source", source);
        HostPaths.check("target", target);
        PlatformThreads.run(() -> reflinkHere(source, target));
    }

    private static void reflinkHere(Path source, Path target) {
        int src;
        try {
            src = Libc.open(source, Libc.O_RDONLY | Libc.O_CLOEXEC | Libc.O_NOFOLLOW);
        } catch (SyscallException e) {
            throw openFailure(source, e);
        }
        try {
            int dst;
            try {
                dst = Libc.create(target, Libc.O_WRONLY | Libc.O_EXCL | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, MODE_0600);
            } catch (SyscallException e) {
                throw createFailure(target, e);
            }
            boolean done = false;
            try {
                Libc.ioctl("FICLONE", dst, FICLONE, src);
                Libc.fsync(dst, target);
                done = true;
            } catch (SyscallException e) {
                throw cloneFailure(source, target, e);
            } finally {
                Libc.close(dst);
                if (!done) {
                    deleteQuietly(target);
                }
            }
        } finally {
            Libc.close(src);
        }
    }

    private static RuntimeException cloneFailure(Path source, Path target, SyscallException e) {
        String what = "FICLONE of " + source + " to " + target + " failed: " + e.errno();
        return switch (e.errno().value()) {
            // EOPNOTSUPP: no reflink on this filesystem; EXDEV: two filesystems; EINVAL/ENOTTY: not a
            // filesystem that knows the ioctl, or files it cannot share blocks between.
            case Errno.EOPNOTSUPP, Errno.EXDEV, Errno.EINVAL, Errno.ENOTTY -> new NotSupported(
                    "the filesystem cannot make a copy-on-write clone (" + what + ")",
                    "use a pool on xfs with reflink (mkfs.xfs's default) or btrfs for instant copies; otherwise a full copy is made");
            case Errno.ENOSPC -> new OutOfCapacity(what, "free space on the filesystem of " + target.getParent());
            default -> new BackendFailure(what, "check dmesg for the kernel's reason");
        };
    }

    /**
     * Copies the data ranges of {@code source} into a new {@code target} of the same length; holes
     * stay holes. The source must be still while this runs (its caller froze or detached it).
     */
    static void copySparse(Path source, Path target, Progress progress) {
        HostPaths.check("source", source);
        HostPaths.check("target", target);
        java.util.Objects.requireNonNull(progress, "progress");
        if (!Files.isRegularFile(source, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new NotFound(source + " is not a regular file", "copy from an existing image file");
        }
        try {
            Files.createFile(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            throw new AlreadyExists(target + " already exists", "remove it first, or copy to a new name");
        } catch (IOException e) {
            throw new BackendFailure("cannot create " + target + ": " + e, "check the folder " + target.getParent(), e);
        }
        boolean done = false;
        try {
            PlatformThreads.run(() -> copyRanges(source, target, progress));
            done = true;
        } finally {
            if (!done) {
                deleteQuietly(target);
            }
        }
    }

    private static void copyRanges(Path source, Path target, Progress progress) {
        int fd;
        try {
            fd = Libc.open(source, Libc.O_RDONLY | Libc.O_CLOEXEC | Libc.O_NOFOLLOW);
        } catch (SyscallException e) {
            throw openFailure(source, e);
        }
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
             RandomAccessFile out = new RandomAccessFile(target.toFile(), "rw")) {
            long length = in.size();
            out.setLength(length); // sparse: only what is written below takes blocks
            FileChannel outCh = out.getChannel();
            ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
            long copied = 0;
            long reported = 0;
            long at = 0;
            while (at < length) {
                long data = seek(fd, at, Libc.SEEK_DATA, source);
                if (data < 0 || data >= length) {
                    break; // only a hole is left
                }
                long hole = Math.min(seek(fd, data, Libc.SEEK_HOLE, source), length);
                for (long pos = data; pos < hole; ) {
                    buf.clear().limit((int) Math.min(BUFFER, hole - pos));
                    int n = in.read(buf, pos);
                    if (n < 0) {
                        throw new BackendFailure(source + " got shorter while it was copied (at " + pos + ")",
                                "a copy needs a source nobody writes: retry once it is still");
                    }
                    buf.flip();
                    while (buf.hasRemaining()) {
                        pos += outCh.write(buf, pos);
                    }
                    copied += n;
                    if (copied - reported >= PROGRESS_EVERY) {
                        progress.update(copied, 0);
                        reported = copied;
                    }
                }
                at = hole;
            }
            outCh.force(true);
            progress.update(copied, copied);
        } catch (IOException e) {
            String text = String.valueOf(e.getMessage());
            if (text.contains("No space left")) {
                throw new OutOfCapacity("copying " + source + " to " + target + " ran out of space: " + text,
                        "free space on the filesystem of " + target.getParent() + ", then retry");
            }
            throw new BackendFailure("copying " + source + " to " + target + " failed: " + e,
                    "check both files and the filesystem of " + target.getParent(), e);
        } finally {
            Libc.close(fd);
        }
    }

    /** lseek with SEEK_DATA/SEEK_HOLE; -1 for ENXIO (no data at or after {@code offset}). */
    private static long seek(int fd, long offset, int whence, Path file) {
        try {
            return Libc.lseek(fd, offset, whence);
        } catch (SyscallException e) {
            if (e.is(Errno.ENXIO)) {
                return -1;
            }
            throw new BackendFailure("lseek(" + (whence == Libc.SEEK_DATA ? "SEEK_DATA" : "SEEK_HOLE") + ") in " + file
                    + " failed: " + e.errno(), "the filesystem of " + file + " must support SEEK_DATA (Linux 3.1+)");
        }
    }

    private static RuntimeException openFailure(Path file, SyscallException e) {
        if (e.is(Errno.ENOENT)) {
            return new NotFound(file + " does not exist", "copy from an existing image file");
        }
        return new BackendFailure("cannot open " + file + ": " + e.errno(), "it must be a regular file Berth can read (root)");
    }

    private static RuntimeException createFailure(Path file, SyscallException e) {
        if (e.is(Errno.EEXIST)) {
            return new AlreadyExists(file + " already exists", "remove it first, or copy to a new name");
        }
        return new BackendFailure("cannot create " + file + ": " + e.errno(), "check the folder " + file.getParent());
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (NoSuchFileException gone) {
            // the goal is met
        } catch (IOException e) {
            System.getLogger(FileCopies.class.getName()).log(System.Logger.Level.WARNING,
                    "could not delete the half-made copy " + file + ": " + e);
        }
    }
}
