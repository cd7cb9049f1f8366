package dev.berth.drivers.loop;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * Whether an image file holds no data at all: {@code lseek(fd, 0, SEEK_DATA)} fails with ENXIO
 * only when the file is one hole from start to end, which the filesystem knows without reading a
 * block (written but not yet flushed pages count as data on ext4, xfs and tmpfs). Every other
 * outcome — data found, a filesystem without SEEK_DATA (it reports the whole file as data), an
 * error, no native access — answers "not known to be empty", and the caller reads the device.
 */
final class SparseImages {
    private static final int O_RDONLY = 0;
    private static final int O_NOFOLLOW = 0x20000;
    private static final int O_CLOEXEC = 0x80000;
    private static final int SEEK_DATA = 3;
    private static final int ENXIO = 6;
    private static final Ops OPS = Ops.load();

    private SparseImages() {
    }

    /** True only if {@code file} is a regular file in which the filesystem finds no data. */
    static boolean hasNoData(Path file) {
        return OPS != null && OPS.hasNoData(file.toString());
    }

    /** The libc calls, or null where they cannot be linked (then nothing is ever "known empty"). */
    private record Ops(MethodHandle open, MethodHandle lseek, MethodHandle close, StructLayout state, VarHandle errno) {
        static Ops load() {
            try {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                Linker.Option errnoState = Linker.Option.captureCallState("errno");
                StructLayout state = Linker.Option.captureStateLayout();
                MethodHandle open = linker.downcallHandle(libc.find("open").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), errnoState);
                MethodHandle lseek = linker.downcallHandle(libc.find("lseek").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT), errnoState);
                MethodHandle close = linker.downcallHandle(libc.find("close").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                VarHandle errno = state.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
                return new Ops(open, lseek, close, state, errno);
            } catch (Throwable noNativeAccess) {
                return null;
            }
        }

        boolean hasNoData(String path) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment st = arena.allocate(state);
                int fd = (int) open.invokeExact(st, arena.allocateFrom(path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0) {
                    return false;
                }
                try {
                    long at = (long) lseek.invokeExact(st, fd, 0L, SEEK_DATA);
                    return at == -1 && (int) errno.get(st, 0L) == ENXIO;
                } finally {
                    int ignored = (int) close.invokeExact(fd);
                }
            } catch (Throwable e) {
                return false;
            }
        }
    }
}
