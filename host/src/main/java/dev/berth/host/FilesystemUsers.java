package dev.berth.host;

import dev.berth.core.spi.HostOps.ProcessUse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The processes that use one filesystem, found in /proc: a cwd, a root, an open file or a mapped
 * file on it. Matched by the filesystem's device number (st_dev), never by path: a container's
 * process lives in its own mount namespace, where the same filesystem is at /data and its paths
 * say nothing about this host's mount point, while stat(2) through {@code /proc/<pid>/cwd} and
 * {@code /proc/<pid>/fd/N} reaches the very inode and tells its device. Mapped files come from the
 * device column of {@code /proc/<pid>/maps} (major:minor in hex), which needs no stat per mapping.
 * Processes that end during the scan are skipped: that is the normal case on a busy host.
 */
final class FilesystemUsers {
    private final Path proc;

    FilesystemUsers(Path proc) {
        this.proc = proc;
    }

    /** Every process but this one with something on the filesystem whose st_dev is {@code device}. */
    List<ProcessUse> of(long device) {
        String mapsDevice = String.format("%02x:%02x", major(device), minor(device));
        return everyProcess("a mount", (pid, dir, uses) -> scan(pid, dir, device, mapsDevice, uses));
    }

    /** Every process but this one with an open descriptor of the device node whose st_rdev is {@code rdev}. */
    List<ProcessUse> ofDeviceNode(long rdev) {
        return everyProcess("a device", (pid, dir, uses) -> {
            String command = read(dir.resolve("comm")).strip();
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(dir.resolve("fd"))) {
                for (Path fd : fds) {
                    if (rdevOf(fd).orElse(-1) == rdev) {
                        uses.add(new ProcessUse(pid, command.isEmpty() ? "?" : command,
                                "fd " + fd.getFileName() + " " + link(fd)));
                    }
                }
            } catch (IOException | RuntimeException goneOrHidden) {
                // ended, or not readable: what was found so far stands
            }
        });
    }

    /** What one process's /proc folder shows of the thing looked for. */
    private interface Scan {
        void scan(long pid, Path dir, List<ProcessUse> uses);
    }

    /** Runs {@code scan} over every process in /proc but this one; {@code what} is for the error. */
    private List<ProcessUse> everyProcess(String what, Scan scan) {
        long self = ProcessHandle.current().pid();
        List<ProcessUse> uses = new ArrayList<>();
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, p -> isPid(p.getFileName().toString()))) {
            for (Path dir : pids) {
                long pid = Long.parseLong(dir.getFileName().toString());
                if (pid != self) {
                    scan.scan(pid, dir, uses);
                }
            }
        } catch (IOException e) {
            throw new dev.berth.core.error.BackendFailure("cannot list " + proc + ": " + e,
                    "Berth finds the processes using " + what + " in /proc; check that it is mounted");
        }
        return List.copyOf(uses);
    }

    /** The device number a block or character device node stands for; empty for other files. */
    private static OptionalLong rdevOf(Path magicLink) {
        try {
            int mode = ((Number) Files.getAttribute(magicLink, "unix:mode")).intValue();
            if ((mode & 0170000) != 0060000) { // S_IFBLK
                return OptionalLong.empty();
            }
            return OptionalLong.of(((Number) Files.getAttribute(magicLink, "unix:rdev")).longValue());
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    private static void scan(long pid, Path dir, long device, String mapsDevice, List<ProcessUse> uses) {
        String command = read(dir.resolve("comm")).strip();
        if (command.isEmpty()) {
            return; // gone (or a kernel thread without a readable comm): nothing of it can hold a file
        }
        if (deviceOf(dir.resolve("cwd")).orElse(-1) == device) {
            uses.add(new ProcessUse(pid, command, "cwd"));
        }
        if (deviceOf(dir.resolve("root")).orElse(-1) == device) {
            uses.add(new ProcessUse(pid, command, "root"));
        }
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(dir.resolve("fd"))) {
            for (Path fd : fds) {
                if (deviceOf(fd).orElse(-1) == device) {
                    uses.add(new ProcessUse(pid, command, "fd " + fd.getFileName() + " " + link(fd)));
                }
            }
        } catch (IOException | RuntimeException goneOrHidden) {
            // the process ended, or its fd table is not readable: what was found so far stands
        }
        // The device column of each mapping; the path (6th field) may be missing or contain spaces.
        for (String line : read(dir.resolve("maps")).split("\n")) {
            String[] f = line.split(" +", 6);
            if (f.length >= 5 && f[3].equals(mapsDevice) && !f[4].equals("0")) {
                uses.add(new ProcessUse(pid, command, "mmap" + (f.length == 6 ? " " + f[5].strip() : "")));
                break; // one mapping is enough to say the process holds the filesystem
            }
        }
    }

    /** stat(2) through the magic link: the device of the file itself, whatever namespace it lives in. */
    private static OptionalLong deviceOf(Path magicLink) {
        try {
            return OptionalLong.of(((Number) Files.getAttribute(magicLink, "unix:dev")).longValue());
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    private static String link(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString();
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static boolean isPid(String name) {
        return !name.isEmpty() && name.length() < 12 && name.chars().allMatch(Character::isDigit);
    }

    /** glibc's gnu_dev_major/minor: st_dev as stat(2) returns it, split as the kernel prints it in maps. */
    static long major(long dev) {
        return ((dev & 0xfff00L) >>> 8) | ((dev & 0xfffff00000000000L) >>> 32);
    }

    static long minor(long dev) {
        return (dev & 0xffL) | ((dev & 0xffffff00000L) >>> 12);
    }
}
