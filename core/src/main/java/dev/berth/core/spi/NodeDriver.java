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

    /**
     * True only if the attached volume is known to hold no data at all without reading its device
     * (e.g. its image is one hole): then a first mount formats it without the blank check's reads.
     * False means "not known", never "has data"; the default knows nothing.
     */
    default boolean knownEmpty(String backendId) {
        return false;
    }

    /**
     * Makes an attached device show its backend object's current size after {@link
     * StorageDriver#expand} (loop: LOOP_SET_CAPACITY). Returns the device's size in bytes now; a
     * volume not attached here is not an error (empty). Drivers without devices answer empty.
     */
    default java.util.OptionalLong refreshCapacity(String backendId) {
        return java.util.OptionalLong.empty();
    }

    /** The features a filesystem this node makes on one of this driver's devices gets (e.g. ext4 MMP). */
    default HostOps.Format format() {
        return HostOps.Format.PLAIN;
    }
}
