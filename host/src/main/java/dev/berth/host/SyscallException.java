package dev.berth.host;

/**
 * A system call that returned -1, with the errno it left. Checked on purpose: every caller has to
 * turn it into a Berth error that names the path it was working on and says what to do.
 */
final class SyscallException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String call;
    private final String subject;
    private final transient Errno errno;

    /** {@code call} names the call ("open", "LOOP_CONFIGURE"); {@code subject} the path it was given, or null. */
    SyscallException(String call, String subject, int errno) {
        super(call + (subject == null ? "" : " " + subject) + ": " + Errno.of(errno), null, false, false);
        this.call = call;
        this.subject = subject;
        this.errno = Errno.of(errno);
    }

    String call() {
        return call;
    }

    /** The path the call was given (open, mount, umount2); null for an ioctl, whose caller names its device. */
    String subject() {
        return subject;
    }

    Errno errno() {
        return errno;
    }

    boolean is(int value) {
        return errno.value() == value;
    }
}
