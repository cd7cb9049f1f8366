package dev.berth.host;

import dev.berth.core.model.FsType;
import dev.berth.core.spi.HostOps.Format;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Formats a device. The caller has probed it blank; this class never decides that on its own. */
final class FilesystemMaker {
    /** Big volumes take long: ext4 writes its inode tables, xfs discards the whole device. */
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    private final ProcessRunner runner;

    FilesystemMaker(ProcessRunner runner) {
        this.runner = runner;
    }

    void make(Path device, FsType type, Format format) {
        HostPaths.check("device", device);
        runner.run(command(device, type, format), TIMEOUT);
    }

    static List<String> command(Path device, FsType type) {
        return command(device, type, Format.PLAIN);
    }

    static List<String> command(Path device, FsType type, Format format) {
        return switch (type) {
            // -F: mke2fs would otherwise ask before formatting a whole device (and read EOF from /dev/null).
            // -b 4096: mke2fs picks 1 KiB blocks below 512 MiB, and such an ext4 cannot be mounted on a
            // device with 4 KiB logical sectors, which a loop device with direct I/O on a reflinked xfs
            // file is (xfs needs block-aligned direct I/O on copy-on-write files): after its first
            // snapshot on a reflink pool, a small volume would no longer mount.
            case EXT4 -> format.mmp()
                    ? List.of("mkfs.ext4", "-q", "-F", "-b", "4096", "-O", "mmp", "-E",
                    "mmp_update_interval=" + format.mmpIntervalSeconds(), device.toString())
                    : List.of("mkfs.ext4", "-q", "-F", "-b", "4096", device.toString());
            // No -f: mkfs.xfs then refuses to overwrite an existing filesystem, a second guard.
            case XFS -> List.of("mkfs.xfs", "-q", device.toString());
        };
    }
}
