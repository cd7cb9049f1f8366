package dev.berth.host;

import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * An errno value with its symbolic name and the C library's text, as error messages show it
 * ("EBUSY (Device or resource busy)"): the name is what a reader searches for in man pages and
 * kernel sources. Values are Linux's (asm-generic), the same on x86-64 and arm64.
 */
record Errno(int value, String name, String text) {
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int ESRCH = 3;
    static final int EIO = 5;
    static final int ENXIO = 6;
    static final int EAGAIN = 11;
    static final int ENOSPC = 28;
    static final int EACCES = 13;
    static final int ENOTBLK = 15;
    static final int EBUSY = 16;
    static final int EEXIST = 17;
    static final int EXDEV = 18;
    static final int ENODEV = 19;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int ENOTTY = 25;
    static final int EROFS = 30;
    static final int ENOSYS = 38;
    static final int EOPNOTSUPP = 95;
    static final int EUCLEAN = 117;

    private static final Map<Integer, Errno> KNOWN = Stream.of(
            e(1, "EPERM", "Operation not permitted"),
            e(2, "ENOENT", "No such file or directory"),
            e(3, "ESRCH", "No such process"),
            e(4, "EINTR", "Interrupted system call"),
            e(5, "EIO", "Input/output error"),
            e(6, "ENXIO", "No such device or address"),
            e(7, "E2BIG", "Argument list too long"),
            e(9, "EBADF", "Bad file descriptor"),
            e(11, "EAGAIN", "Resource temporarily unavailable"),
            e(12, "ENOMEM", "Cannot allocate memory"),
            e(13, "EACCES", "Permission denied"),
            e(14, "EFAULT", "Bad address"),
            e(15, "ENOTBLK", "Block device required"),
            e(16, "EBUSY", "Device or resource busy"),
            e(17, "EEXIST", "File exists"),
            e(18, "EXDEV", "Invalid cross-device link"),
            e(19, "ENODEV", "No such device"),
            e(20, "ENOTDIR", "Not a directory"),
            e(21, "EISDIR", "Is a directory"),
            e(22, "EINVAL", "Invalid argument"),
            e(23, "ENFILE", "Too many open files in system"),
            e(24, "EMFILE", "Too many open files"),
            e(25, "ENOTTY", "Inappropriate ioctl for device"),
            e(26, "ETXTBSY", "Text file busy"),
            e(27, "EFBIG", "File too large"),
            e(28, "ENOSPC", "No space left on device"),
            e(29, "ESPIPE", "Illegal seek"),
            e(30, "EROFS", "Read-only file system"),
            e(31, "EMLINK", "Too many links"),
            e(34, "ERANGE", "Numerical result out of range"),
            e(36, "ENAMETOOLONG", "File name too long"),
            e(38, "ENOSYS", "Function not implemented"),
            e(40, "ELOOP", "Too many levels of symbolic links"),
            e(75, "EOVERFLOW", "Value too large for defined data type"),
            e(95, "EOPNOTSUPP", "Operation not supported"),
            e(110, "ETIMEDOUT", "Connection timed out"),
            e(116, "ESTALE", "Stale file handle"),
            e(117, "EUCLEAN", "Structure needs cleaning"),
            e(122, "EDQUOT", "Disk quota exceeded"),
            e(123, "ENOMEDIUM", "No medium found"),
            e(124, "EMEDIUMTYPE", "Wrong medium type"),
            e(74, "EBADMSG", "Bad message"))
            .collect(Collectors.toUnmodifiableMap(Errno::value, e -> e));

    private static Errno e(int value, String name, String text) {
        return new Errno(value, name, text);
    }

    /** The errno for {@code value}; one this table does not name is shown as "errno 123". */
    static Errno of(int value) {
        Errno known = KNOWN.get(value);
        return known != null ? known : new Errno(value, "errno " + value, "unknown error");
    }

    @Override
    public String toString() {
        return name + " (" + text + ")";
    }
}
