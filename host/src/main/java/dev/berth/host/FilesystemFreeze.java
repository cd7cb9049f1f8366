package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.Busy;
import dev.berth.core.error.NotFound;
import java.nio.file.Path;

/**
 * FIFREEZE and FITHAW on a mounted filesystem, as fsfreeze(8) does them: the ioctl goes to a
 * read-only descriptor of the mount point folder. While frozen, the filesystem's on-disk state is
 * consistent and every writer blocks in the kernel, so a copy of its device is clean.
 */
final class FilesystemFreeze {
    /** _IOWR('X', 119, int) and _IOWR('X', 120, int): include/uapi/linux/fs.h. */
    static final long FIFREEZE = 0xC0045877L;
    static final long FITHAW = 0xC0045878L;

    private FilesystemFreeze() {
    }

    static void freeze(Path mountPoint) {
        HostPaths.check("mount point", mountPoint);
        PlatformThreads.run(() -> call(mountPoint, "FIFREEZE", FIFREEZE));
    }

    static void thaw(Path mountPoint) {
        HostPaths.check("mount point", mountPoint);
        PlatformThreads.run(() -> call(mountPoint, "FITHAW", FITHAW));
    }

    private static void call(Path mountPoint, String name, long request) {
        int fd;
        try {
            fd = Libc.open(mountPoint, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        } catch (SyscallException e) {
            throw new NotFound("cannot open the mount point " + mountPoint + " for " + name + ": " + e.errno(),
                    "it must be a folder where a filesystem is mounted");
        }
        try {
            Libc.ioctl(name, fd, request, 0);
        } catch (SyscallException e) {
            if (request == FITHAW && e.is(Errno.EINVAL)) {
                return; // not frozen: the goal is met
            }
            if (request == FIFREEZE && e.is(Errno.EBUSY)) {
                throw new Busy("the filesystem at " + mountPoint + " is frozen already (FIFREEZE: " + e.errno() + ")",
                        "another snapshot or fsfreeze holds it; wait for it to finish, or thaw it (fsfreeze -u "
                                + mountPoint + ") if nothing does");
            }
            throw new BackendFailure(name + " of " + mountPoint + " failed: " + e.errno(), switch (e.errno().value()) {
                case Errno.EOPNOTSUPP, Errno.ENOTTY -> "this filesystem cannot be frozen; detach the volume for a clean copy";
                case Errno.EPERM, Errno.EACCES -> "freezing a filesystem needs root (CAP_SYS_ADMIN)";
                default -> "check dmesg for the kernel's reason";
            });
        } finally {
            Libc.close(fd);
        }
    }
}
