package dev.berth.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Who uses a block device: filesystems mounted from it in any mount namespace on this host, and
 * block devices stacked on it. Asked before detaching a loop device: {@code losetup --detach} of a
 * busy device "succeeds" by setting autoclear, which frees the device (and ends the mount's I/O)
 * whenever its last user lets go — a change to a device that someone else is using.
 *
 * <p>Two looks. {@link #quick} costs a few stats: {@code /sys/block/<dev>/holders} (stacked
 * devices: device-mapper, md) and {@code /sys/fs/ext4/<dev>} / {@code /sys/fs/xfs/<dev>}, which
 * exist exactly while an ext4 or xfs superblock on the device is alive, i.e. mounted in any mount
 * namespace (or lazily unmounted with files still open) — every filesystem Berth makes. Holders
 * alone would miss every mount. {@link #of} adds where it is mounted, for any filesystem: each
 * mount namespace's {@code /proc/<pid>/mountinfo} (third field: the device's major:minor), read
 * once per namespace ({@code /proc/<pid>/ns/mnt} names it); that takes milliseconds with a hundred
 * processes, so it runs only at start-up clean-up and to explain a refusal. A process that merely
 * holds the device open is seen by neither; losetup's own release wait covers that case.
 */
final class DeviceUsers {
    private static final List<String> FILESYSTEMS = List.of("ext4", "xfs");
    private final Path proc;
    private final Path sysBlock;
    private final Path sysFs;

    DeviceUsers(Path proc, Path sys) {
        this.proc = proc;
        this.sysBlock = sys.resolve("block");
        this.sysFs = sys.resolve("fs");
    }

    /** Devices stacked on it and live ext4/xfs filesystems on it; microseconds. Empty if none. */
    List<String> quick(Path device) {
        String name = device.getFileName().toString();
        List<String> users = new ArrayList<>();
        try (DirectoryStream<Path> holders = Files.newDirectoryStream(sysBlock.resolve(name).resolve("holders"))) {
            for (Path holder : holders) {
                users.add("device /dev/" + holder.getFileName() + " is stacked on it");
            }
        } catch (IOException noHoldersDir) {
            // not a block device sysfs knows (or it went away): nothing stacked on it
        }
        for (String fs : FILESYSTEMS) {
            if (Files.isDirectory(sysFs.resolve(fs).resolve(name))) {
                users.add("an " + fs + " filesystem on it is mounted (perhaps in another mount namespace, or "
                        + "unmounted lazily with files still open)");
            }
        }
        return users;
    }

    /**
     * {@link #quick}, plus every mount of the device in any mount namespace ("mounted at /x (mount
     * namespace of pid 123)"), whatever its filesystem; milliseconds. Empty if nothing was found.
     */
    List<String> of(Path device) {
        String name = device.getFileName().toString();
        List<String> alive = quick(device);
        List<String> users = new ArrayList<>();
        alive.stream().filter(u -> u.startsWith("device ")).forEach(users::add);
        Optional<String> majorMinor = read(sysBlock.resolve(name).resolve("dev")).map(String::strip);
        if (majorMinor.isEmpty() || majorMinor.get().isEmpty()) {
            return alive;
        }
        Set<String> namespaces = new HashSet<>();
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, p -> isPid(p.getFileName().toString()))) {
            for (Path pid : pids) {
                String namespace;
                try {
                    namespace = Files.readSymbolicLink(pid.resolve("ns/mnt")).toString();
                } catch (IOException | UnsupportedOperationException goneOrHidden) {
                    continue; // the process ended meanwhile
                }
                if (!namespaces.add(namespace)) {
                    continue;
                }
                read(pid.resolve("mountinfo")).ifPresent(table -> {
                    for (String line : table.split("\n")) {
                        String[] f = line.split(" ");
                        if (f.length > 4 && f[2].equals(majorMinor.get())) {
                            users.add("mounted at " + EscapedText.octal(f[4]) + " (mount namespace of pid "
                                    + pid.getFileName() + ")");
                        }
                    }
                });
            }
        } catch (IOException e) {
            users.add("unknown: cannot read " + proc + " (" + e.getMessage() + ")");
        }
        if (users.stream().noneMatch(u -> u.startsWith("mounted at "))) {
            // Alive but mounted nowhere we can see: unmounted lazily, or in a namespace we cannot read.
            alive.stream().filter(u -> !u.startsWith("device ")).forEach(users::add);
        }
        return users;
    }

    private static boolean isPid(String name) {
        return !name.isEmpty() && name.length() < 12 && name.chars().allMatch(Character::isDigit);
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
