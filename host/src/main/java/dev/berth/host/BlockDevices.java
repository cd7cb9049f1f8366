package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.NotFound;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/** A block device's size (BLKGETSIZE64), and a loop device's refresh after its file grew (LOOP_SET_CAPACITY). */
final class BlockDevices {
    /** _IOR(0x12, 114, size_t): include/uapi/linux/fs.h. */
    static final long BLKGETSIZE64 = 0x80081272L;
    /** include/uapi/linux/loop.h. */
    static final long LOOP_SET_CAPACITY = 0x4C07L;

    private BlockDevices() {
    }

    static long size(Path device) {
        HostPaths.check("device", device);
        return PlatformThreads.call(() -> {
            int fd = open(device);
            try {
                return sizeOf(fd, device);
            } finally {
                Libc.close(fd);
            }
        });
    }

    /** Tells the loop driver to re-read its backing file's size; returns the device's size after it. */
    static long refreshLoop(Path device) {
        HostPaths.check("device", device);
        return PlatformThreads.call(() -> {
            int fd = open(device);
            try {
                Libc.ioctl("LOOP_SET_CAPACITY", fd, LOOP_SET_CAPACITY, 0);
                return sizeOf(fd, device);
            } catch (SyscallException e) {
                throw new BackendFailure("LOOP_SET_CAPACITY of " + device + " failed: " + e.errno(),
                        e.is(Errno.ENXIO) ? "the loop device is not bound to a file (any more): attach the volume again"
                                : e.is(Errno.ENOTTY) || e.is(Errno.EINVAL) ? device + " is not a loop device"
                                : "check dmesg for the kernel's reason");
            } finally {
                Libc.close(fd);
            }
        });
    }

    private static long sizeOf(int fd, Path device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_LONG);
            Libc.ioctl("BLKGETSIZE64", fd, BLKGETSIZE64, out);
            return out.get(ValueLayout.JAVA_LONG, 0);
        } catch (SyscallException e) {
            throw new BackendFailure("BLKGETSIZE64 of " + device + " failed: " + e.errno(),
                    device + " must be a block device");
        }
    }

    private static int open(Path device) {
        try {
            return Libc.open(device, Libc.O_RDONLY | Libc.O_CLOEXEC);
        } catch (SyscallException e) {
            if (e.is(Errno.ENOENT) || e.is(Errno.ENXIO)) {
                throw new NotFound("the device " + device + " does not exist (" + e.errno() + ")",
                        "attach the volume on this node first");
            }
            throw new BackendFailure("cannot open " + device + ": " + e.errno(), "reading a device's size needs root");
        }
    }
}
