package dev.berth.host;

import java.nio.file.Path;

/**
 * Whether a file holds no data at all: {@code lseek(fd, 0, SEEK_DATA)} fails with ENXIO only when
 * the file is one hole from start to end, which the filesystem knows without reading a block
 * (written but not yet flushed pages count as data on ext4, xfs and tmpfs). Every other outcome —
 * data found, a filesystem without SEEK_DATA (it reports the whole file as data), an error, no
 * native access — answers "not known to be empty", and the caller reads the device instead.
 */
public final class SparseFiles {
    private SparseFiles() {
    }

    /** True only if {@code file} is a regular file (not a symbolic link) in which the filesystem finds no data. */
    public static boolean hasNoData(Path file) {
        try {
            int fd = Libc.open(file, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
            try {
                Libc.lseek(fd, 0, Libc.SEEK_DATA);
                return false;
            } catch (SyscallException e) {
                return e.is(Errno.ENXIO);
            } finally {
                Libc.close(fd);
            }
        } catch (SyscallException | RuntimeException | LinkageError e) {
            return false; // cannot tell: the caller reads
        }
    }
}
