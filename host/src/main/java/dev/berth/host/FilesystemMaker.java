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
            case EXT4 -> format.mmp()
                    ? List.of("mkfs.ext4", "-q", "-F", "-O", "mmp", "-E", "mmp_update_interval=" + format.mmpIntervalSeconds(),
                    device.toString())
                    : List.of("mkfs.ext4", "-q", "-F", device.toString());
            // No -f: mkfs.xfs then refuses to overwrite an existing filesystem, a second guard.
            case XFS -> List.of("mkfs.xfs", "-q", device.toString());
        };
    }
}
