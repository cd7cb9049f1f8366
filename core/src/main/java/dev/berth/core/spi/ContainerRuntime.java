package dev.berth.core.spi;

import java.nio.file.Path;
import java.util.List;

/**
 * The container engine of this host, as far as fencing needs it: stopping the containers that
 * write to a volume before the node lets the volume go. Containers are the writers Berth handed
 * the volume to; their processes live in mount namespaces of their own, and the engine would
 * restart them ("restart: always") if only their processes were killed.
 */
public interface ContainerRuntime {
    /**
     * Kills (SIGKILL) every running container with a mount whose source is at or under
     * {@code mountPoint}, or that uses this node's plugin volume {@code volumeName} (the engine
     * reports no source for a plugin's volume); returns "name (id12)" per container killed. Throws
     * {@link dev.berth.core.error.Unavailable} when the runtime cannot be asked.
     *
     * @param volumeName the volume's name as the runtime knows it, or null for path matches only
     */
    List<String> killUsing(Path mountPoint, String volumeName);

    /** No container engine on this host: nothing to kill. */
    ContainerRuntime NONE = (mountPoint, volumeName) -> List.of();
}
