package dev.berth.core.spi;

import dev.berth.core.model.Device;
import java.util.Optional;
import java.util.Set;

/** The host side of a storage driver: makes a backend volume reachable on this host. */
public interface NodeDriver {

    /** Attaches the volume to this host; returns the existing attachment if there is one. */
    Device attach(String backendId);

    /** The current attachment on this host, if any. */
    Optional<Device> attached(String backendId);

    /** Detaches; a volume that is not attached is not an error. */
    void detach(String backendId);

    /** Backend ids of this driver currently attached on this host (for reconciliation). */
    Set<String> attachedBackends();
}
