package dev.berth.core.spi;

import dev.berth.core.model.Capacity;
import dev.berth.core.model.VolumeSpec;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * A storage backend, controller side: it creates and removes volumes and knows the backend's
 * capacity. The host side (attach, detach) is its {@link NodeDriver}. A driver never sees HTTP or
 * gRPC types, and throws only {@link dev.berth.core.error.BerthException}s.
 */
public interface StorageDriver {

    /** The driver kind, e.g. "loop" or "dir". */
    String kind();

    /** True if attach yields a block device that needs a filesystem; false for directories. */
    boolean blockDevices();

    /**
     * Creates the backend volume for {@code volumeId} and returns its backend id. Idempotent:
     * calling it again for the same volume id returns the same backend id.
     */
    String create(String volumeId, VolumeSpec spec);

    /**
     * The backend id this driver gives volume {@code volumeId}, when it derives it from the id
     * alone (loop: {@code <id>.img}); empty when the backend chooses names itself. Nodes check
     * volume records from the controller against it, so a record cannot point one volume at
     * another's data.
     */
    default Optional<String> backendIdOf(String volumeId) {
        return Optional.empty();
    }

    /** Removes the backend volume; a missing one is not an error. */
    void remove(String backendId);

    boolean exists(String backendId);

    Capacity capacity();

    /**
     * How far the full sizes of this backend's volumes may exceed the space they can use (the
     * service option {@code overcommit}; 1.0 = not at all), or empty when a volume's size takes no
     * space and is not counted (the dir driver does not enforce sizes). The controller refuses a
     * create beyond it: see {@code CapacityCheck}.
     */
    default OptionalDouble overcommit() {
        return OptionalDouble.empty();
    }

    /**
     * Bytes the given volumes occupy on the backend now: allocated blocks, not apparent sizes (a
     * sparse file of 100 MiB that holds 3 MiB of data occupies 3 MiB). Volumes that are gone count 0.
     */
    default long allocatedBytes(Collection<String> backendIds) {
        return 0;
    }

    /**
     * Revokes {@code node}'s access to the volume on the backend side (a Ceph blocklist, a SAN
     * mask), before a takeover hands the volume to another node. Returns what it did, in words;
     * empty when this backend cannot revoke a host's access (then only the old holder's
     * self-fencing and the filesystem's guard keep it out). Throws when it can but failed: the
     * takeover then waits.
     */
    default Optional<String> fence(String backendId, String node) {
        return Optional.empty();
    }

    /** Extra facts shown by inspect, e.g. where the data lives or that size is not enforced. */
    Map<String, String> describe(String backendId);

    /** The host side of this driver on this node. */
    NodeDriver node();

    /**
     * Backend ids of every backend volume this driver holds now: for the start-up check that finds
     * backend volumes no record owns, and for rebuilding lost records ({@code berth serve
     * --adopt-pool}). Cheap (a folder listing for loop), so it can run at every start. Only looks;
     * never attaches, formats or mounts. Drivers that cannot list their backend answer an empty list.
     */
    default List<String> storedIds() {
        return List.of();
    }

    /** What this driver kept about one of {@link #storedIds()}; empty if it is not there (any more). */
    default Optional<Stored> stored(String backendId) {
        return Optional.empty();
    }

    /**
     * A backend volume as found in the backend.
     *
     * @param volumeId  the volume id it was made for
     * @param sizeBytes its size as found
     * @param spec      what it was created with, if the driver kept that
     * @param created   when it was created, if known
     * @param note      why {@code spec} is empty ("no metadata file", …); empty when it is known
     */
    record Stored(String backendId, String volumeId, long sizeBytes, Optional<VolumeSpec> spec,
                  Optional<Instant> created, String note) {
    }
}
