package dev.berth.core.io;

import dev.berth.core.error.InvalidArgument;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * Folders of the operating system that Berth must never take over as its own (state directory,
 * mount root, loop pool, dir driver root): Berth creates, mounts over, unmounts and deletes things
 * inside the folders it owns, so {@code mountRoot: /} would let the start-up reconcile unmount every
 * file system of the host. The list is the top of the Linux file system hierarchy and the shared
 * folders below /usr and /var; the kernel's /proc and /sys are refused with everything inside.
 */
public final class SystemFolders {
    public static final Set<Path> LIST = paths("/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32",
            "/lib64", "/libx32", "/lost+found", "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/snap",
            "/srv", "/sys", "/tmp", "/usr", "/usr/bin", "/usr/include", "/usr/lib", "/usr/lib32", "/usr/lib64",
            "/usr/libexec", "/usr/local", "/usr/sbin", "/usr/share", "/usr/src", "/var", "/var/backups", "/var/cache",
            "/var/lib", "/var/local", "/var/lock", "/var/log", "/var/mail", "/var/opt", "/var/run", "/var/spool",
            "/var/tmp", "/run/user", "/dev/shm");
    private static final Set<Path> KERNEL = paths("/proc", "/sys");

    private SystemFolders() {
    }

    /** True when {@code folder} (absolute, normalized) is in {@link #LIST} or inside /proc or /sys. */
    public static boolean isSystem(Path folder) {
        Path p = folder.toAbsolutePath().normalize();
        return LIST.contains(p) || KERNEL.stream().anyMatch(p::startsWith);
    }

    /**
     * Returns {@code folder} unless it is a system folder; then an InvalidArgument naming
     * {@code what} (e.g. "mountRoot = '/' (file /etc/berth/config.yml)") with {@code example} as the fix.
     */
    public static Path check(String what, Path folder, String example) {
        if (isSystem(folder)) {
            throw new InvalidArgument(what + " is a system folder; Berth must have a folder of its own there",
                    "use a folder only Berth uses, like " + example);
        }
        return folder;
    }

    private static Set<Path> paths(String... all) {
        Set<Path> out = new TreeSet<>();
        for (String p : all) {
            out.add(Path.of(p));
        }
        return Set.copyOf(out);
    }
}
