package dev.berth.host;

import dev.berth.core.error.InvalidArgument;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Grows a mounted filesystem to its device's size, online: ext4 through resize2fs on the device,
 * xfs through xfs_growfs on the mount point (xfs grows only while mounted).
 */
final class FilesystemGrower {
    /** resize2fs writes new group descriptors and inode tables: minutes on a big volume on slow disks. */
    private static final Duration TIMEOUT = Duration.ofMinutes(10);
    private static final Pattern XFS_DATA = Pattern.compile("(?m)^data\\s+=\\s+bsize=(\\d+)\\s+blocks=(\\d+)");
    private static final Pattern XFS_CHANGED = Pattern.compile("data blocks changed from \\d+ to (\\d+)");

    private final ProcessRunner runner;

    FilesystemGrower(ProcessRunner runner) {
        this.runner = runner;
    }

    /**
     * Grows it; returns the size xfs_growfs reports, or else the superblock's, or else statvfs's
     * total. {@code mountPoint} null: not mounted (ext4 only), checked first as resize2fs requires.
     */
    long grow(Path device, Path mountPoint, String fsType, java.util.function.LongSupplier statTotal) {
        HostPaths.check("device", device);
        if (mountPoint == null) {
            return growUnmounted(device, fsType);
        }
        HostPaths.check("mount point", mountPoint);
        switch (fsType) {
            case "ext4" -> {
                try {
                    runner.run(List.of("resize2fs", device.toString()), TIMEOUT);
                } catch (dev.berth.core.error.BackendFailure e) {
                    if (String.valueOf(e.getMessage()).contains("Permission denied") && !hasSysResource()) {
                        // EXT4_IOC_RESIZE_FS checks CAP_SYS_RESOURCE, which containers often drop.
                        throw new dev.berth.core.error.NotSupported(e.getMessage() + " (this process lacks "
                                + "CAP_SYS_RESOURCE, which the kernel requires to grow a mounted ext4)",
                                "run berth serve with CAP_SYS_RESOURCE (docker run --cap-add SYS_RESOURCE), or grow "
                                        + "the volume while it is not mounted");
                    }
                    throw e;
                }
            }
            case "xfs" -> {
                ProcessRunner.Result r = runner.run(List.of("xfs_growfs", mountPoint.toString()), TIMEOUT);
                OptionalLong reported = xfsSize(r.stdout());
                if (reported.isPresent()) {
                    // xfs writes its new superblock through its own buffer cache: the device may lag behind.
                    return reported.getAsLong();
                }
            }
            default -> throw new InvalidArgument("cannot grow a " + fsType + " filesystem",
                    "Berth grows ext4 (resize2fs) and xfs (xfs_growfs)");
        }
        OptionalLong size = Superblocks.size(device);
        return size.isPresent() ? size.getAsLong() : statTotal.getAsLong();
    }

    /** resize2fs refuses an unchecked unmounted ext4: e2fsck -f -p first (exit 1 = fixed, 2 = fixed, reboot advised). */
    private long growUnmounted(Path device, String fsType) {
        if (!fsType.equals("ext4")) {
            throw new InvalidArgument("a " + fsType + " filesystem grows only while mounted",
                    "mount it (xfs_growfs works on a mount point), then grow it");
        }
        runner.runAllowingExit(List.of("e2fsck", "-f", "-p", device.toString()), TIMEOUT, java.util.Set.of(0, 1, 2));
        runner.run(List.of("resize2fs", device.toString()), TIMEOUT);
        OptionalLong size = Superblocks.size(device);
        if (size.isEmpty()) {
            throw new dev.berth.core.error.BackendFailure("resize2fs ran, but " + device + " holds no ext4 superblock now",
                    "check the device with e2fsck -fn " + device);
        }
        return size.getAsLong();
    }

    /** CAP_SYS_RESOURCE (bit 24) in this process's effective capabilities, as /proc/self/status shows them. */
    static boolean hasSysResource() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << 24)) != 0;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // cannot tell: assume it is there, so the tool's own message stands
        }
        return true;
    }

    /** The size after growing, from xfs_growfs's output (its geometry's bsize and "changed from … to N"). */
    static OptionalLong xfsSize(String stdout) {
        Matcher data = XFS_DATA.matcher(stdout);
        if (!data.find()) {
            return OptionalLong.empty();
        }
        long blockSize = Long.parseLong(data.group(1));
        Matcher changed = XFS_CHANGED.matcher(stdout);
        long blocks = changed.find() ? Long.parseLong(changed.group(1)) : Long.parseLong(data.group(2));
        return OptionalLong.of(blocks * blockSize);
    }
}
