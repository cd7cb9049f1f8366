package dev.berth.core.service;

import java.util.List;

/**
 * The controller's side of {@link Volumes}: what needs the state store and the backend but no
 * host. Served in-process by the controller, or remotely through the REST API.
 */
public interface VolumeAdmin {
    VolumeView create(CreateVolume request);

    /** Removes a volume that no node holds; Busy or AttachedElsewhere otherwise. */
    void remove(VolumeRef ref);

    VolumeView inspect(VolumeRef ref);

    List<VolumeView> list(String service);

    List<ServiceInfo> services();

    /** Registered nodes with their lease state. */
    List<NodeInfo> nodes();

    /**
     * The newest {@code limit} takeovers, preemptions and self-fencing events, oldest first; of one
     * volume when {@code ref} is not null.
     */
    List<dev.berth.core.model.Event> events(VolumeRef ref, int limit);
    // ---- snapshots, clones, expansion (issue 12) -------------------------------------------

    /**
     * As {@link #create(CreateVolume)}, reporting a long copy's progress (a volume made from a
     * snapshot or another volume on a pool without reflinks).
     */
    default VolumeView create(CreateVolume request, dev.berth.core.spi.Progress progress) {
        return create(request);
    }

    /**
     * Takes a snapshot of a volume. Idempotent: a snapshot of that name of that volume is returned
     * as it is. A volume a live node has mounted is copied only when that node froze it
     * ({@link CreateSnapshot#frozenBy()}); otherwise Busy naming the node.
     */
    default SnapshotView snapshot(CreateSnapshot request, dev.berth.core.spi.Progress progress) {
        throw notHere("snapshots");
    }

    /** Snapshots of one volume (by name; also of a removed one), or all when {@code volume} is null; by volume, then name. */
    default List<SnapshotView> snapshots(VolumeRef volume) {
        throw notHere("snapshots");
    }

    default SnapshotView inspectSnapshot(SnapshotRef ref) {
        throw notHere("snapshots");
    }

    /** Removes a snapshot and its data; volumes made from it are copies and are not touched. */
    default void removeSnapshot(SnapshotRef ref) {
        throw notHere("snapshots");
    }

    /**
     * Grows a volume's backend object and record to {@code size} (rounded up to 4 KiB). Refused
     * when smaller than now; the same size is a no-op. The node that has it attached grows its
     * device and filesystem (see {@link Volumes#expand}).
     */
    default VolumeView expand(VolumeRef ref, String size) {
        throw notHere("expansion");
    }

    /**
     * Removes a volume as {@link #remove(VolumeRef)}, doing {@code policy} with its snapshots.
     * Returns the snapshots removed with it (as `<volume>@<snapshot>`), for the caller to show.
     */
    default List<String> remove(VolumeRef ref, SnapshotPolicy policy) {
        if (policy != SnapshotPolicy.REFUSE) {
            throw notHere("snapshot policies on remove");
        }
        remove(ref);
        return List.of();
    }

    private static dev.berth.core.error.NotSupported notHere(String what) {
        return new dev.berth.core.error.NotSupported(what + " are not served by this controller connection",
                "upgrade the controller (berth serve --role controller) to this Berth version");
    }
}
