package dev.berth.core.service;

import java.util.List;
import java.util.Optional;

/**
 * What every protocol adapter (REST, Docker, CSI) calls. Each method validates its input and
 * throws only {@link dev.berth.core.error.BerthException}s; adapters map those to their wire
 * format in one place.
 */
public interface Volumes {

    /**
     * Creates a volume. Idempotent: a volume of the same name and service with the same size and
     * filesystem is returned as it is; one that differs is {@link dev.berth.core.error.AlreadyExists}.
     */
    VolumeView create(CreateVolume request);

    /**
     * Removes a volume and its data. A volume mounted or attached anywhere is refused with
     * {@link dev.berth.core.error.Busy} unless {@code force}, which unmounts and detaches it on this
     * node first (a volume held by another node is still refused).
     */
    void remove(VolumeRef ref, boolean force);

    VolumeView inspect(VolumeRef ref);

    /** Volumes of one service, or of all when {@code service} is null; ordered by name. */
    List<VolumeView> list(String service);

    /** Claims the volume for this node and attaches it (no filesystem work). Idempotent. */
    default VolumeView attach(VolumeRef ref) {
        return attach(ref, false);
    }

    /**
     * As {@link #attach(VolumeRef)}; with {@code preempt}, a volume a live node holds is taken from
     * it (logged as an event; that node is told to fence itself).
     */
    VolumeView attach(VolumeRef ref, boolean preempt);

    /**
     * Detaches from this node and releases the claim. Refused with Busy while mount references
     * exist, unless {@code force}.
     */
    VolumeView detach(VolumeRef ref, boolean force);

    /**
     * Adds mount reference {@code mountRef}; the first one claims, attaches, formats on first use
     * and mounts. Returns the path a container should use.
     */
    default String mount(VolumeRef ref, String mountRef) {
        return mount(ref, mountRef, false);
    }

    /** As {@link #mount(VolumeRef, String)}; {@code preempt} as for {@link #attach(VolumeRef, boolean)}. */
    String mount(VolumeRef ref, String mountRef, boolean preempt);

    /** Drops mount reference {@code mountRef}; the last one unmounts, detaches and releases the claim. */
    void unmount(VolumeRef ref, String mountRef);

    /** The container path if the volume is mounted on this node. */
    Optional<String> path(VolumeRef ref);

    List<ServiceInfo> services();

    /** Registered nodes with their lease state. */
    List<NodeInfo> nodes();

    /** Takeovers, preemptions and self-fencing, oldest first; of one volume when {@code ref} is not null. */
    List<dev.berth.core.model.Event> events(VolumeRef ref, int limit);
    // ---- snapshots, clones, expansion (issue 12) -------------------------------------------

    /**
     * Creates a volume as {@link #create(CreateVolume)}; one made from a volume this node has
     * mounted is copied with its filesystem frozen here. Reports a long copy's progress.
     */
    VolumeView create(CreateVolume request, dev.berth.core.spi.Progress progress);

    /**
     * Takes a snapshot. A volume mounted on this node is frozen here around the copy (thawed at
     * the latest at the freeze deadline: a copy that outlives it is discarded and refused); one
     * mounted on another node is refused naming that node.
     */
    SnapshotView snapshot(CreateSnapshot request, dev.berth.core.spi.Progress progress);

    List<SnapshotView> snapshots(VolumeRef volume);

    SnapshotView inspectSnapshot(SnapshotRef ref);

    void removeSnapshot(SnapshotRef ref);

    /**
     * Grows a volume (see {@link VolumeAdmin#expand}); if this node has it attached, also its device
     * and, when mounted, its filesystem, online. A node that has it attached elsewhere grows its
     * filesystem at its next mount (or on `berth volume expand` there).
     */
    VolumeView expand(VolumeRef ref, String size);

    /**
     * Removes a volume, doing {@code policy} with its snapshots; {@code force} as for
     * {@link #remove(VolumeRef, boolean)}. Returns the snapshots removed with it.
     */
    List<String> remove(VolumeRef ref, boolean force, SnapshotPolicy policy);
}
