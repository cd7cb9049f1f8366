package dev.berth.host;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The few C library calls Berth makes itself (open, close, ioctl, mount, umount2, kill), bound once
 * through the FFM API. Every call captures errno right after it returns (the JVM may change errno
 * before Java code could read it) and throws {@link SyscallException} on -1. Strings go down in
 * the encoding the JDK uses for file names ({@code sun.jnu.encoding}), so a path means the same
 * file here as in java.nio.
 */
final class Libc {
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;
    static final int O_DIRECT = 0x4000;
    static final int O_NOFOLLOW = 0x20000;
    static final int O_EXCL = 0x80;
    static final int SIGKILL = 9;
    static final int MNT_DETACH = 2;
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;
    static final int O_WRONLY = 1;
    static final int O_CREAT = 0x40;
    static final int O_DIRECTORY = 0x10000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");
    private static final Charset PATHS = pathCharset();

    private static final MethodHandle OPEN = bind("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), ERRNO_OPTION, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FSYNC = bind("fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO_OPTION);
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle LSEEK = bind("lseek",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT), ERRNO_OPTION);
    private static final MethodHandle IOCTL_LONG = bind("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO_OPTION, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL_POINTER = bind("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), ERRNO_OPTION, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MOUNT = bind("mount",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), ERRNO_OPTION);
    private static final MethodHandle UMOUNT2 = bind("umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), ERRNO_OPTION);
    private static final MethodHandle STATVFS = bind("statvfs", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), ERRNO_OPTION);
    private static final MethodHandle KILL = bind("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO_OPTION);

    private Libc() {
    }

    static int open(Path path, int flags) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            int fd = (int) OPEN.invokeExact(state, cString(arena, path.toString()), flags, 0);
            return check("open", path.toString(), fd, state);
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** open(2) with O_CREAT: {@code mode} is the new file's permission bits (before the umask). */
    static int create(Path path, int flags, int mode) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            int fd = (int) OPEN.invokeExact(state, cString(arena, path.toString()), flags | O_CREAT, mode);
            return check("open", path.toString(), fd, state);
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static void fsync(int fd, Path path) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            int r = (int) FSYNC.invokeExact(state, fd);
            check("fsync", path.toString(), r, state);
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Closes {@code fd}; a failed close of a descriptor Berth only read or configured through changes nothing. */
    static void close(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** lseek(2); returns the new offset. */
    static long lseek(int fd, long offset, int whence) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            long r = (long) LSEEK.invokeExact(state, fd, offset, whence);
            if (r == -1) {
                throw new SyscallException("lseek", null, (int) ERRNO.get(state, 0L));
            }
            return r;
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** ioctl with an integer argument (or none: pass 0), {@code name}d for errors; returns its non-negative result. */
    static int ioctl(String name, int fd, long request, long arg) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            int r = (int) IOCTL_LONG.invokeExact(state, fd, request, arg);
            return check(name, null, r, state);
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** ioctl with a pointer to a structure the caller laid out. */
    static int ioctl(String name, int fd, long request, MemorySegment arg) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            int r = (int) IOCTL_POINTER.invokeExact(state, fd, request, arg);
            return check(name, null, r, state);
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** mount(2); {@code data} null passes NULL, as mount(8) does when there are no filesystem options. */
    static void mount(Path source, Path target, String fsType, long flags, String data) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            MemorySegment options = data == null ? MemorySegment.NULL : cString(arena, data);
            int r = (int) MOUNT.invokeExact(state, cString(arena, source.toString()), cString(arena, target.toString()),
                    cString(arena, fsType), flags, options);
            check("mount", target.toString(), r, state);
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static void umount2(Path target, int flags) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            int r = (int) UMOUNT2.invokeExact(state, cString(arena, target.toString()), flags);
            check("umount2", target.toString(), r, state);
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * statvfs(3) on x86-64/aarch64 glibc: {@code f_bsize, f_frsize, f_blocks, f_bfree, f_bavail,
     * f_files, f_ffree, f_favail, f_fsid, f_flag, f_namemax} are 8 bytes each, then 6 spare ints
     * (112 bytes). Returns those eleven values in that order.
     */
    static long[] statvfs(Path path) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            MemorySegment buf = arena.allocate(112, 8);
            int r = (int) STATVFS.invokeExact(state, cString(arena, path.toString()), buf);
            check("statvfs", path.toString(), r, state);
            long[] out = new long[11];
            for (int i = 0; i < out.length; i++) {
                out[i] = buf.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, i);
            }
            return out;
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** kill(2): sends {@code signal} to the one process {@code pid} (never a group: callers check pid > 0). */
    static void kill(int pid, int signal) throws SyscallException {
        if (pid <= 0) {
            throw new IllegalArgumentException("kill(2) of pid " + pid + " would signal a process group or every process");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            int r = (int) KILL.invokeExact(state, pid, signal);
            check("kill", Integer.toString(pid), r, state);
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A NUL-terminated copy of {@code text}; an embedded NUL would silently cut the string, so it is refused. */
    static MemorySegment cString(Arena arena, String text) {
        if (text.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a C string cannot hold NUL: " + text.replace('\0', '?'));
        }
        byte[] bytes = bytes(text);
        return arena.allocateFrom(JAVA_BYTE, Arrays.copyOf(bytes, bytes.length + 1));
    }

    /** The bytes {@code text} becomes in a C string (file-name encoding), e.g. to fit it in a fixed-size field. */
    static byte[] bytes(String text) {
        return text.getBytes(PATHS);
    }

    private static int check(String call, String subject, int result, MemorySegment state) throws SyscallException {
        if (result == -1) {
            throw new SyscallException(call, subject, (int) ERRNO.get(state, 0L));
        }
        return result;
    }

    private static MethodHandle bind(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("the C library has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    private static Charset pathCharset() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (RuntimeException e) {
            return StandardCharsets.UTF_8;
        }
    }
}
