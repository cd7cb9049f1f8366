package dev.berth.host;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.spi.HostOps.FileId;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a loop device is bound to, from the kernel itself (LOOP_GET_STATUS64: the backing file's
 * st_dev and st_ino), in microseconds and without losetup. sysfs names only the backing file's
 * path, which cannot tell a file from a new one of the same name.
 */
final class LoopStatus {
    static final long LOOP_GET_STATUS64 = 0x4C05;

    private LoopStatus() {
    }

    /** The backing file's id, or empty when the device is not bound (or does not exist). */
    static Optional<FileId> backing(Path device) {
        HostPaths.loopDevice(device);
        int fd;
        try {
            fd = Libc.open(device, Libc.O_RDONLY | Libc.O_CLOEXEC);
        } catch (SyscallException e) {
            if (e.is(Errno.ENOENT) || e.is(Errno.ENXIO)) {
                return Optional.empty();
            }
            throw new BackendFailure("cannot open " + device + " to read what it is bound to: " + e.errno(),
                    "reading a loop device's status needs root");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(LoopConfig.INFO64);
            Libc.ioctl("LOOP_GET_STATUS64", fd, LOOP_GET_STATUS64, info);
            // The kernel's huge_encode_dev, which for every real device equals glibc's st_dev encoding.
            return Optional.of(new FileId(info.get(JAVA_LONG, 0), info.get(JAVA_LONG, 8)));
        } catch (SyscallException e) {
            if (e.is(Errno.ENXIO)) {
                return Optional.empty(); // not bound
            }
            throw new BackendFailure("LOOP_GET_STATUS64 of " + device + " failed: " + e.errno(),
                    "check dmesg for the kernel's reason");
        } finally {
            Libc.close(fd);
        }
    }
}
