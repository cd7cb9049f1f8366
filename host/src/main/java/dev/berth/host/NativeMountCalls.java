package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import java.nio.file.Path;
import java.util.List;

/**
 * mount(2) and umount2(2) through java.lang.foreign (host.syscalls: native), with what mount(8)
 * would pass for the same request: {@code mount(source, target, type, MS_* flags, data or NULL)}
 * and {@code umount2(target, 0)} — no lazy detach, no force, as umount(8) without -l/-f. The
 * target is the path the mount table shows (umount(8) canonicalizes it the same way), and
 * UMOUNT_NOFOLLOW keeps a symlink swapped in at that path from redirecting the unmount.
 */
final class NativeMountCalls implements MountCalls {
    static final int UMOUNT_NOFOLLOW = 8;

    @Override
    public void mount(Path source, Path target, String fsType, List<String> options) {
        MountOptions o = MountOptions.parse(options);
        PlatformThreads.run(() -> {
            try {
                Libc.mount(source, target, fsType, o.flags(), o.data());
            } catch (SyscallException e) {
                throw new BackendFailure("mount(2) of " + source + " on " + target + " as " + fsType
                        + (o.data() == null ? "" : " (" + o.data() + ")") + " failed: " + e.errno(),
                        mountHint(e.errno(), source, target, fsType));
            }
        });
    }

    @Override
    public void remountBind(Path target, List<String> flags) {
        long bits = MountOptions.MS_REMOUNT | MountOptions.MS_BIND | MountOptions.parse(flags).flags();
        PlatformThreads.run(() -> {
            try {
                Libc.mount(Path.of("none"), target, "none", bits, null);
            } catch (SyscallException e) {
                throw new BackendFailure("mount(2) remounting the bind at " + target + " with " + flags + " failed: "
                        + e.errno(), "check dmesg for the kernel's reason");
            }
        });
    }

    @Override
    public void unmount(Path target) {
        PlatformThreads.run(() -> {
            try {
                Libc.umount2(target, UMOUNT_NOFOLLOW);
            } catch (SyscallException e) {
                throw new BackendFailure("umount2(2) of " + target + " failed: " + e.errno(), switch (e.errno().value()) {
                    case Errno.EBUSY -> "it is busy: find the processes using it with: fuser -vm " + target;
                    case Errno.EINVAL -> target + " is not a mount point (any more)";
                    case Errno.EPERM -> "unmounting needs root (CAP_SYS_ADMIN)";
                    default -> "check dmesg for the kernel's reason";
                });
            }
        });
    }

    @Override
    public void unmountLazy(Path target) {
        PlatformThreads.run(() -> {
            try {
                Libc.umount2(target, Libc.MNT_DETACH | UMOUNT_NOFOLLOW);
            } catch (SyscallException e) {
                throw new BackendFailure("umount2(2) of " + target + " with MNT_DETACH failed: " + e.errno(),
                        e.is(Errno.EINVAL) ? target + " is not a mount point (any more)" : "check dmesg for the kernel's reason");
            }
        });
    }

    private static String mountHint(Errno errno, Path source, Path target, String fsType) {
        return switch (errno.value()) {
            case Errno.ENOENT -> "the device " + source + " or the mount point " + target + " does not exist";
            case Errno.ENOTBLK -> source + " is not a block device";
            case Errno.ENXIO -> source + " is not bound to anything (a detached loop device?)";
            case Errno.ENODEV -> "the kernel does not know filesystem " + fsType + ": modprobe " + fsType;
            case Errno.EBUSY -> source + " is already mounted or in use, or " + target + " is busy";
            case Errno.EINVAL -> source + " holds no valid " + fsType + " filesystem (blkid " + source
                    + "), or an option does not apply to it; dmesg tells which";
            case Errno.EUCLEAN, Errno.EIO -> "the filesystem is damaged: check it (fsck) before mounting";
            case Errno.EROFS, Errno.EACCES -> source + " is read-only: mount it with ro";
            case Errno.EPERM -> "mounting needs root (CAP_SYS_ADMIN)";
            default -> "check dmesg for the kernel's reason";
        };
    }
}
