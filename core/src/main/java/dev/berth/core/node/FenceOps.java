package dev.berth.core.node;

import java.nio.file.Path;
import java.util.List;

/**
 * What a node needs to take a volume away from everything on this host that writes to it. The
 * wiring joins the container runtime (Docker's API) and the host's process table.
 */
public interface FenceOps {
    /**
     * Stops every writer of the filesystem at {@code mountPoint}: containers that use it, then any
     * other process with an open file, a mapping or its working folder on it. Returns what was
     * stopped, one entry each; a failure to stop one is an entry too, never an exception.
     *
     * @param volumeName the volume's name, as a container engine knows its plugin volumes
     */
    List<String> stopWriters(Path mountPoint, String volumeName);

    /**
     * Stops every process that holds the block device node {@code device} itself open (a raw block
     * volume's users). Returns what was stopped, one entry each.
     */
    default List<String> stopDeviceUsers(Path device) {
        return List.of();
    }

    /** Detaches the mount even while something still holds it (umount2 with MNT_DETACH). */
    void unmountLazy(Path mountPoint);

    /** For hosts without writers to stop (tests of the rules). */
    FenceOps NONE = new FenceOps() {
        @Override
        public List<String> stopWriters(Path mountPoint, String volumeName) {
            return List.of();
        }

        @Override
        public void unmountLazy(Path mountPoint) {
        }
    };
}
