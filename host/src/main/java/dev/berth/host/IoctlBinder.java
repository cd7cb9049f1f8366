package dev.berth.host;

import static dev.berth.host.LoopConfig.LOOP_CLR_FD;
import static dev.berth.host.LoopConfig.LOOP_CONFIGURE;
import static dev.berth.host.LoopConfig.LOOP_CTL_GET_FREE;
import static dev.berth.host.LoopConfig.LOOP_SET_FD;
import static dev.berth.host.LoopConfig.LOOP_SET_STATUS64;
import static dev.berth.host.LoopConfig.LO_FLAGS_DIRECT_IO;
import static dev.berth.host.LoopConfig.LO_FLAGS_READ_ONLY;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.Busy;
import dev.berth.core.error.NotFound;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Loop devices through ioctl (host.syscalls: native), as losetup does it but without the process:
 * {@code LOOP_CTL_GET_FREE} on /dev/loop-control names a free device N, the backing file and
 * /dev/loopN are opened read-write, and one {@code LOOP_CONFIGURE} binds them (autoclear off,
 * lo_file_name set, and with {@code directIo} LO_FLAGS_DIRECT_IO on a file opened O_DIRECT: the
 * host's page cache then holds no second copy of what the filesystem on the device caches, and
 * writes measured faster, see docs/benchmarks.md; a backing filesystem without O_DIRECT gets a
 * buffered device). Kernels before 5.8 answer LOOP_CONFIGURE with EINVAL or ENOTTY; then
 * {@code LOOP_SET_FD} + {@code LOOP_SET_STATUS64} do the same in two steps. Detach is
 * {@code LOOP_CLR_FD}.
 */
final class IoctlBinder implements LoopBinder {
    static final Path CONTROL = Path.of("/dev/loop-control");
    /**
     * Another process may bind device N between GET_FREE and CONFIGURE (EBUSY); GET_FREE then names
     * the next free one. losetup tries 64 times with 200 ms pauses; a short back-off suffices here
     * because each try asks afresh.
     */
    static final int BUSY_TRIES = 16;
    /** A device GET_FREE just created may take a moment to appear in /dev (udev, no devtmpfs). */
    private static final int NODE_TRIES = 16;

    private final boolean directIo;
    private final boolean twoStep;
    private final IntConsumer afterGetFree;

    IoctlBinder(boolean directIo) {
        this(directIo, false, n -> { });
    }

    /**
     * {@code twoStep} forces the pre-5.8 path (LOOP_SET_FD + LOOP_SET_STATUS64) so it can be tested on
     * a new kernel; {@code afterGetFree} runs between GET_FREE and CONFIGURE so a test can take the
     * device from under the binder, as a concurrent losetup would.
     */
    IoctlBinder(boolean directIo, boolean twoStep, IntConsumer afterGetFree) {
        this.directIo = directIo;
        this.twoStep = twoStep;
        this.afterGetFree = afterGetFree;
    }

    @Override
    public Path bind(Path file) {
        return PlatformThreads.call(() -> bindHere(file));
    }

    private Path bindHere(Path file) {
        for (int attempt = 1; ; attempt++) {
            int n = freeDevice();
            afterGetFree.accept(n);
            Path device = Path.of("/dev/loop" + n);
            try {
                configure(device, file);
                return device;
            } catch (SyscallException e) {
                if (e.is(Errno.EBUSY) && attempt < BUSY_TRIES) {
                    LockSupport.parkNanos(attempt * 1_000_000L);
                    continue;
                }
                throw failure(device, file, e, attempt);
            }
        }
    }

    private static int freeDevice() {
        int control;
        try {
            control = Libc.open(CONTROL, Libc.O_RDWR | Libc.O_CLOEXEC);
        } catch (SyscallException e) {
            throw new BackendFailure("cannot open " + CONTROL + ": " + e.errno(), switch (e.errno().value()) {
                case Errno.ENOENT, Errno.ENODEV, Errno.ENXIO -> "the loop driver is not loaded: modprobe loop";
                case Errno.EACCES, Errno.EPERM -> "loop devices need root (CAP_SYS_ADMIN): run berth serve as root";
                default -> "check that " + CONTROL + " is the loop control device, or set host.syscalls: tools";
            });
        }
        try {
            return Libc.ioctl("LOOP_CTL_GET_FREE", control, LOOP_CTL_GET_FREE, 0);
        } catch (SyscallException e) {
            throw new BackendFailure("LOOP_CTL_GET_FREE on " + CONTROL + " failed: " + e.errno(),
                    "no loop device is free or can be added (max_loop?): detach unused ones (losetup --list)");
        } finally {
            Libc.close(control);
        }
    }

    /** Binds {@code device} to {@code file}; EBUSY from the kernel means someone else took the device. */
    private void configure(Path device, Path file) throws SyscallException {
        int flags = 0;
        int mode = Libc.O_RDWR;
        int backing = -1;
        if (directIo) {
            try {
                backing = Libc.open(file, mode | Libc.O_CLOEXEC | Libc.O_DIRECT);
                flags = LO_FLAGS_DIRECT_IO;
            } catch (SyscallException e) {
                if (!e.is(Errno.EINVAL) && !e.is(Errno.EROFS) && !e.is(Errno.EACCES)) {
                    throw e;
                }
                // EINVAL: the backing filesystem has no O_DIRECT (ramfs, some FUSE): buffered, as losetup's default.
            }
        }
        if (backing < 0) {
            try {
                backing = Libc.open(file, mode | Libc.O_CLOEXEC);
            } catch (SyscallException e) {
                if (!e.is(Errno.EROFS) && !e.is(Errno.EACCES)) {
                    throw e;
                }
                // As losetup: a file that cannot be written to makes a read-only device.
                mode = Libc.O_RDONLY;
                flags = LO_FLAGS_READ_ONLY;
                backing = Libc.open(file, mode | Libc.O_CLOEXEC);
            }
        }
        try {
            int dev = openNode(device, mode);
            try (Arena arena = Arena.ofConfined()) {
                byte[] name = Libc.bytes(file.toString());
                if (!twoStep) {
                    try {
                        Libc.ioctl("LOOP_CONFIGURE", dev, LOOP_CONFIGURE, LoopConfig.config(arena, backing, flags, name));
                        return;
                    } catch (SyscallException e) {
                        if (!e.is(Errno.EINVAL) && !e.is(Errno.ENOTTY) && !e.is(Errno.ENOSYS)) {
                            throw e;
                        }
                    }
                }
                Libc.ioctl("LOOP_SET_FD", dev, LOOP_SET_FD, backing);
                try {
                    Libc.ioctl("LOOP_SET_STATUS64", dev, LOOP_SET_STATUS64, LoopConfig.info(arena, flags, name));
                } catch (SyscallException e) {
                    clear(dev);
                    throw e;
                }
            } finally {
                Libc.close(dev);
            }
        } finally {
            // The device holds its own reference to the open file: this descriptor is no longer needed.
            Libc.close(backing);
        }
    }

    private static int openNode(Path device, int mode) throws SyscallException {
        for (int attempt = 1; ; attempt++) {
            try {
                return Libc.open(device, mode | Libc.O_CLOEXEC);
            } catch (SyscallException e) {
                if (!e.is(Errno.ENOENT) || attempt >= NODE_TRIES) {
                    throw e;
                }
                LockSupport.parkNanos(5_000_000L);
            }
        }
    }

    private static void clear(int dev) {
        try {
            Libc.ioctl("LOOP_CLR_FD", dev, LOOP_CLR_FD, 0);
        } catch (SyscallException ignored) {
            // half set up and not clearable: the caller reports the first failure
        }
    }

    private static RuntimeException failure(Path device, Path file, SyscallException e, int attempts) {
        String what = (e.subject() != null ? e.call() + " of " + e.subject() + " (binding " + device + " to " + file + ")"
                : e.call() + " of " + device + " with " + file) + " failed: " + e.errno();
        return switch (e.errno().value()) {
            case Errno.EBUSY -> new Busy("every free loop device was taken by another process before Berth could bind it ("
                    + attempts + " tries; last: " + what + ")", "retry; if it keeps happening, see who sets up loop devices (losetup --list)");
            case Errno.ENOENT -> new NotFound(what, "the backing file or the device node went away meanwhile: check both exist");
            case Errno.EISDIR, Errno.EINVAL -> new BackendFailure(what, "the backing file must be a regular file Berth can bind"
                    + (e.is(Errno.EINVAL) ? " (O_DIRECT or a block size the backing filesystem refuses?)" : ""));
            case Errno.EPERM, Errno.EACCES -> new BackendFailure(what, "loop devices need root (CAP_SYS_ADMIN); an immutable "
                    + "file (lsattr) cannot be bound read-write");
            default -> new BackendFailure(what, "check dmesg for the kernel's reason, or set host.syscalls: tools to compare with losetup");
        };
    }

    @Override
    public void unbind(Path device) {
        PlatformThreads.run(() -> unbindHere(device));
    }

    private static void unbindHere(Path device) {
        int dev;
        try {
            dev = Libc.open(device, Libc.O_RDONLY | Libc.O_CLOEXEC);
        } catch (SyscallException e) {
            if (e.is(Errno.ENOENT) || e.is(Errno.ENXIO)) {
                return; // the device node is gone: nothing is bound to it
            }
            throw new BackendFailure("cannot open " + device + " to detach it: " + e.errno(), "detach needs root (CAP_SYS_ADMIN)");
        }
        try {
            Libc.ioctl("LOOP_CLR_FD", dev, LOOP_CLR_FD, 0);
        } catch (SyscallException e) {
            if (e.is(Errno.ENXIO)) {
                return; // not bound (any more): the goal is met
            }
            if (e.is(Errno.EBUSY)) {
                throw new Busy("LOOP_CLR_FD of " + device + " failed: " + e.errno(),
                        "the kernel is still setting it up or tearing it down: retry");
            }
            throw new BackendFailure("LOOP_CLR_FD of " + device + " failed: " + e.errno(),
                    "check dmesg for the kernel's reason, or set host.syscalls: tools to compare with losetup");
        } finally {
            Libc.close(dev);
        }
    }
}
