package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
import java.util.Arrays;
import java.util.Locale;

/**
 * How Berth talks to the kernel for loop devices and mounts (configuration key host.syscalls):
 * {@code native} makes the system calls itself through java.lang.foreign (ioctl on
 * /dev/loop-control and /dev/loopN, mount(2), umount2(2)); {@code tools} runs losetup, mount and
 * umount through the process runner, as Berth did before. Both keep the same behaviour; mkfs,
 * blkid and fsck are tools either way.
 */
public enum SyscallMode {
    NATIVE,
    TOOLS;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static SyscallMode parse(String text) {
        return Arrays.stream(values()).filter(m -> m.id().equals(text)).findFirst()
                .orElseThrow(() -> new InvalidArgument("host.syscalls '" + text + "' is not a mode",
                        "use native (system calls through java.lang.foreign) or tools (losetup, mount, umount)"));
    }

    /**
     * Binds the C library now, so a JVM without native access fails at start-up with what to do,
     * not at the first mount.
     */
    static void requireNative() {
        try {
            Class.forName(Libc.class.getName(), true, SyscallMode.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            Throwable cause = e instanceof ExceptionInInitializerError i && i.getCause() != null ? i.getCause() : e;
            throw new BackendFailure("cannot bind the C library (open, ioctl, mount) through java.lang.foreign: " + cause,
                    "run Java 25 with --enable-native-access=ALL-UNNAMED (bin/berth does), or set host.syscalls: tools", e);
        }
    }
}
