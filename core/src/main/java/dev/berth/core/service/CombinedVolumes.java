package dev.berth.core.service;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.node.NodeService;
import java.util.List;
import java.util.Optional;

/**
 * {@link Volumes} as one node sees it: volume administration goes to the controller (in-process or
 * remote), host work to this node's {@link NodeService}. A controller without a node of its own
 * refuses the host operations with a pointer to the agents.
 */
public final class CombinedVolumes implements Volumes {
    private final VolumeAdmin admin;
    private final NodeService node;

    /** @param node null for a controller that does no host work */
    public CombinedVolumes(VolumeAdmin admin, NodeService node) {
        this.admin = admin;
        this.node = node;
    }

    public VolumeAdmin admin() {
        return admin;
    }

    @Override
    public VolumeView create(CreateVolume request) {
        return create(request, dev.berth.core.spi.Progress.NONE);
    }

    @Override
    public void remove(VolumeRef ref, boolean force) {
        remove(ref, force, SnapshotPolicy.REFUSE);
    }

    @Override
    public VolumeView inspect(VolumeRef ref) {
        return admin.inspect(ref);
    }

    @Override
    public List<VolumeView> list(String service) {
        return admin.list(service);
    }

    @Override
    public VolumeView attach(VolumeRef ref, boolean preempt) {
        local("attach").attach(ref, preempt);
        return admin.inspect(ref);
    }

    @Override
    public VolumeView detach(VolumeRef ref, boolean force) {
        local("detach").detach(ref, force);
        return admin.inspect(ref);
    }

    @Override
    public String mount(VolumeRef ref, String mountRef, boolean preempt) {
        return local("mount").mount(ref, mountRef, preempt);
    }

    @Override
    public void unmount(VolumeRef ref, String mountRef) {
        local("unmount").unmount(ref, mountRef);
    }

    @Override
    public Optional<String> path(VolumeRef ref) {
        return local("path").path(ref);
    }

    @Override
    public List<ServiceInfo> services() {
        return admin.services();
    }

    @Override
    public List<NodeInfo> nodes() {
        return admin.nodes();
    }

    @Override
    public List<dev.berth.core.model.Event> events(VolumeRef ref, int limit) {
        return admin.events(ref, limit);
    }

    // ---- snapshots, clones, expansion ------------------------------------------------------

    @Override
    public VolumeView create(CreateVolume request, dev.berth.core.spi.Progress progress) {
        if (node != null && request.source() != null
                && request.source().kind() == dev.berth.core.model.ContentSource.Kind.VOLUME) {
            VolumeRef source = VolumeRef.parse(request.source().ref());
            return node.stillWhileCopied(source, frozenBy -> admin.create(
                    frozenBy == null ? request : request.frozenBy(frozenBy), progress),
                    made -> admin.remove(new VolumeRef(made.name(), made.service()), SnapshotPolicy.REFUSE));
        }
        return admin.create(request, progress);
    }

    @Override
    public SnapshotView snapshot(CreateSnapshot request, dev.berth.core.spi.Progress progress) {
        if (node == null) {
            return admin.snapshot(request, progress);
        }
        return node.stillWhileCopied(request.volume(), frozenBy -> admin.snapshot(
                frozenBy == null ? request : request.frozenBy(frozenBy), progress),
                made -> admin.removeSnapshot(new SnapshotRef(made.service(), made.volumeName(), made.name())));
    }

    @Override
    public List<SnapshotView> snapshots(VolumeRef volume) {
        return admin.snapshots(volume);
    }

    @Override
    public SnapshotView inspectSnapshot(SnapshotRef ref) {
        return admin.inspectSnapshot(ref);
    }

    @Override
    public void removeSnapshot(SnapshotRef ref) {
        admin.removeSnapshot(ref);
    }

    @Override
    public VolumeView expand(VolumeRef ref, String size) {
        VolumeView grown = admin.expand(ref, size);
        if (node != null) {
            node.growHere(ref);
            return admin.inspect(ref);
        }
        return grown;
    }

    @Override
    public List<String> remove(VolumeRef ref, boolean force, SnapshotPolicy policy) {
        if (force && node != null) {
            if (policy == SnapshotPolicy.REFUSE && hasSnapshots(ref)) {
                return admin.remove(ref, policy); // refused naming them, before anything is unmounted here
            }
            node.releaseForRemove(ref);
        }
        return admin.remove(ref, policy);
    }

    /** Whether the volume (this one, by id: not an earlier one of its name) has snapshots. */
    private boolean hasSnapshots(VolumeRef ref) {
        String id = admin.inspect(ref).id();
        return admin.snapshots(ref).stream().anyMatch(s -> s.volumeId().equals(id));
    }

    private NodeService local(String what) {
        if (node == null) {
            throw new InvalidArgument(what + " runs on the host that uses the volume, and this is a controller without one",
                    "run it against an agent's local socket (berth --socket /run/berth/berth.sock on that host)");
        }
        return node;
    }
}
