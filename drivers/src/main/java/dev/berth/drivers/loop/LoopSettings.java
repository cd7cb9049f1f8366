package dev.berth.drivers.loop;

import dev.berth.core.spi.HostOps.Format;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How a loop service guards its volumes.
 *
 * @param stateDir where the node records the loop devices it attached ({@code loop-devices.json});
 *                 null: kept in memory only (tests and tools that never restart)
 * @param format   the features of the filesystems its nodes make (ext4 multi-mount protection)
 * @param shared   the pool is reachable from several hosts: a filesystem without a multi-mount guard
 *                 (xfs) is refused there
 */
public record LoopSettings(Path stateDir, Format format, boolean shared, Path mountRoot) {
    /** MMP on with the kernel's default interval, one host, no device record on disk. */
    public static final LoopSettings DEFAULT = new LoopSettings(null, new Format(true, Format.DEFAULT_MMP_INTERVAL), false, null);

    public LoopSettings(Path stateDir, Format format, boolean shared) {
        this(stateDir, format, shared, null);
    }

    public LoopSettings {
        Objects.requireNonNull(format, "format");
    }

    public LoopSettings withStateDir(Path dir) {
        return new LoopSettings(dir, format, shared, mountRoot);
    }

    /**
     * Where this node mounts volumes: an unrecorded device is adopted only when it is mounted
     * under it (null: anywhere in this mount namespace). Two agents that share one mount
     * namespace (tests, the README's one-machine walkthrough) must not adopt each other's devices.
     */
    public LoopSettings withMountRoot(Path root) {
        return new LoopSettings(stateDir, format, shared, root);
    }
}
