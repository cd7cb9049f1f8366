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

    // ---- snapshots, clones, expansion (issue 12). Defaults: this backend cannot. ---------------

    /**
     * How this backend copies a volume for a snapshot or a clone: "reflink" (copy-on-write, instant;
     * probed once per pool) or "copy" (every allocated byte); empty when it cannot copy at all.
     */
    default Optional<String> copyMethod() {
        return Optional.empty();
    }

    /**
     * Copies the backend object {@code backendId} into a new snapshot object for {@code snapshotId}
     * and returns its backend id. Idempotent per snapshot id (a retry returns the same object). The
     * caller makes the source still (froze its filesystem, or nobody has it attached); a reflink is
     * also atomic against concurrent writes. Never leaves a half-made object under the returned id:
     * a copy is made under a temporary name and renamed into place.
     */
    default String snapshot(String backendId, String snapshotId, Progress progress) {
        throw cannot("snapshots");
    }

    /** Removes a snapshot object; a missing one is not an error. */
    default void removeSnapshot(String snapshotBackendId) {
        throw cannot("snapshots");
    }

    /** The backend id a snapshot of {@code snapshotId} has or will have, when derived from the id alone. */
    default Optional<String> snapshotBackendIdOf(String snapshotId) {
        return Optional.empty();
    }

    default boolean snapshotExists(String snapshotBackendId) {
        return false;
    }

    /** Facts about a snapshot object for inspect (its file, method, allocated bytes). */
    default Map<String, String> describeSnapshot(String snapshotBackendId) {
        return Map.of();
    }

    /**
     * Creates the backend object of volume {@code volumeId} as a copy of {@code source} (a snapshot
     * object, or another volume's object), grown to {@code spec.sizeBytes()} (at least the source's
     * size), and returns its backend id. Idempotent per volume id, like {@link #create}.
     */
    default String createFrom(String volumeId, VolumeSpec spec, Source source, Progress progress) {
        throw cannot("clones");
    }

    /** A backend object to copy from: a snapshot's or a volume's. */
    record Source(boolean snapshot, String backendId, long sizeBytes) {
        public Source {
            java.util.Objects.requireNonNull(backendId, "backendId");
        }
    }

    /**
     * Grows the backend object to {@code newSizeBytes} (4 KiB-aligned, larger than now; the
     * controller checks both). Idempotent: an object already that size is left alone. Attached
     * devices see the new size only after {@link NodeDriver#refreshCapacity}.
     */
    default void expand(String backendId, long newSizeBytes) {
        throw cannot("expansion");
    }

    /** True if {@link #expand} changes what a filesystem can use (false for dir: size is not enforced). */
    default boolean sizeEnforced() {
        return true;
    }

    private dev.berth.core.error.NotSupported cannot(String what) {
        return new dev.berth.core.error.NotSupported("the " + kind() + " driver does not support " + what,
                "use a service whose driver does (loop, dir)");
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
