package dev.berth.core.node;

import dev.berth.core.error.AttachedElsewhere;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.Busy;
import dev.berth.core.io.RealDirs;
import dev.berth.core.model.Attachment;
import dev.berth.core.model.Claim;
import dev.berth.core.model.Device;
import dev.berth.core.model.MountRefs;
import dev.berth.core.model.Volume;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.MountLayout;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.spi.ControlPlane;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StorageDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The host-local half of the volume life cycle on one node: attach (after the controller grants
 * the claim), format on first use, mount, unmount, detach. Every operation on one volume runs
 * under that volume's lock; the controller's claims keep other nodes out.
 */
public final class NodeService {
    private static final Logger LOG = Logger.getLogger(NodeService.class.getName());
    private final ControlPlane control;
    private final String node;
    private final ServiceRegistry services;
    private final HostOps host;
    private final MountLayout layout;
    private final Checkpoints checkpoints;
    private final Mounter mounter;
    private final NodePaths paths;
    private final VolumeLocks locks = new VolumeLocks();

    public NodeService(ControlPlane control, String node, ServiceRegistry services, HostOps host, MountLayout layout,
                       Checkpoints checkpoints) {
        this.control = control;
        this.node = node;
        this.services = services;
        this.host = host;
        this.layout = layout;
        this.checkpoints = checkpoints;
        this.mounter = new Mounter(host);
        this.paths = new NodePaths(services, layout, host);
    }

    public String node() {
        return node;
    }

    /** The reconciler for this node, to run once at start before serving. */
    public Reconciler reconciler() {
        return new Reconciler(control, node, mounter, services, layout, host, paths, checkpoints);
    }

    /** Claims the volume for this node (kept until detach) and attaches it. */
    public void attach(VolumeRef ref) {
        Volume v = control.resolve(ref);
        locks.with(v.id(), () -> {
            StorageDriver driver = paths.driver(v);
            control.claim(v.id(), node, true);
            Device dev = driver.node().attach(v.backendId());
            String mp = paths.mountedHere(v, driver).map(Path::toString).orElse(null);
            control.putAttachment(node, new Attachment(v.id(), dev.path().toString(), dev.block(), mp));
            return null;
        });
    }

    /** Unmounts, detaches and releases; refused while mount references exist unless {@code force}. */
    public void detach(VolumeRef ref, boolean force) {
        Volume v = control.resolve(ref);
        locks.with(v.id(), () -> {
            requireNotElsewhere(v);
            List<String> refs = control.refs(node, v.id());
            if (!force && !refs.isEmpty()) {
                throw new Busy("volume " + v.name() + " is mounted (" + count(refs) + ")",
                        "unmount it first, or detach with --force");
            }
            release(v);
            return null;
        });
    }

    /**
     * For a forced remove: if this node holds the volume, drops its references and unmounts,
     * detaches and releases it here. A volume held by another node is refused.
     */
    public void releaseForRemove(VolumeRef ref) {
        Volume v = control.resolve(ref);
        locks.with(v.id(), () -> {
            requireNotElsewhere(v);
            release(v);
            return null;
        });
    }

    /**
     * Adds mount reference {@code mountRef}; the first one claims, attaches, formats on first use
     * and mounts. Returns the path a container should use.
     */
    public String mount(VolumeRef ref, String mountRef) {
        MountRefs.check(mountRef);
        Volume v = control.resolve(ref);
        return locks.with(v.id(), () -> {
            StorageDriver driver = paths.driver(v);
            Claim claim = control.claim(v.id(), node, false);
            Optional<Attachment> known = control.attachment(node, v.id());
            if (known.isPresent() && known.get().mountPoint() != null) {
                // The record says mounted here for another user; the host must agree (the record
                // names no path: the node derives it). Then no host tool needs to run.
                Optional<Path> here = paths.mountedHere(v, driver);
                if (here.isPresent()) {
                    control.addRef(node, v.id(), mountRef);
                    return MountLayout.containerPath(here.get()).toString();
                }
            }
            Device dev = driver.node().attach(v.backendId());
            checkpoints.reached("after-attach");
            Path mountPoint = dev.block() ? paths.mountPoint(v) : dev.path();
            String fs;
            try {
                fs = mounter.mount(v, dev, mountPoint, driver.node());
            } catch (BerthException e) {
                if (!claim.explicit() && control.refs(node, v.id()).isEmpty()) {
                    driver.node().detach(v.backendId());
                    control.release(v.id(), node);
                }
                throw e;
            }
            checkpoints.reached("after-mount");
            try {
                control.recordMount(node, new Attachment(v.id(), dev.path().toString(), dev.block(), mountPoint.toString()),
                        mountRef, fs);
            } catch (BerthException e) {
                undoMount(v, driver, dev, mountPoint, claim, e);
                throw e;
            }
            return MountLayout.containerPath(mountPoint).toString();
        });
    }

    /** Drops mount reference {@code mountRef}; the last one unmounts, detaches and releases the claim. */
    public void unmount(VolumeRef ref, String mountRef) {
        MountRefs.check(mountRef);
        Volume v = control.resolve(ref);
        locks.with(v.id(), () -> {
            if (control.removeRef(node, v.id(), mountRef) > 0) {
                return null;
            }
            Optional<Claim> claim = control.claimOf(v.id());
            boolean mine = claim.isPresent() && claim.get().node().equals(node);
            Optional<Attachment> att = control.attachment(node, v.id());
            if (mine && claim.get().explicit()) {
                if (att.isPresent()) {
                    StorageDriver driver = paths.driver(v);
                    if (att.get().mountPoint() != null && driver.blockDevices()) {
                        mounter.unmount(null, paths.mountPoint(v));
                    }
                    // Still attached (explicitly): the record is rewritten from what this node finds.
                    Optional<Device> dev = driver.node().attached(v.backendId());
                    if (dev.isPresent()) {
                        control.putAttachment(node, new Attachment(v.id(), dev.get().path().toString(), dev.get().block(), null));
                    } else {
                        control.deleteAttachment(node, v.id());
                    }
                }
            } else if (mine || att.isPresent()) {
                release(v);
            }
            return null;
        });
    }

    /** The container path if the volume is mounted on this node. */
    public Optional<String> path(VolumeRef ref) {
        Volume v = control.resolve(ref);
        if (control.attachment(node, v.id()).map(Attachment::mountPoint).isEmpty()) {
            return Optional.empty();
        }
        return paths.mountedHere(v, paths.driver(v)).map(mp -> MountLayout.containerPath(mp).toString());
    }

    /**
     * Claims again, under the node's new lease, everything attached here. Called after the node
     * had to register again (its old lease expired while this process was alive).
     */
    public void reclaim() {
        for (Attachment a : control.nodeState(node).attachments().values()) {
            control.volume(a.volumeId()).ifPresent(v -> locks.with(v.id(), () -> {
                try {
                    control.claim(v.id(), node, control.refs(node, v.id()).isEmpty());
                } catch (BerthException e) {
                    LOG.severe("lost volume " + v.name() + " while the node lease was gone: " + e.getMessage());
                }
                return null;
            }));
        }
    }

    private void requireNotElsewhere(Volume v) {
        Optional<Claim> claim = control.claimOf(v.id());
        if (claim.isPresent() && !claim.get().node().equals(node)) {
            throw new AttachedElsewhere(v.name(), claim.get().node(), null);
        }
    }

    /** Unmounts, detaches and releases the claim on this node, dropping its mount references. */
    private void release(Volume v) {
        StorageDriver driver = paths.driver(v);
        control.removeAllRefs(node, v.id());
        // Never the recorded mount point: only the one this node derives is ever unmounted.
        Path mountPoint = paths.mountPoint(v);
        if (driver.blockDevices()) {
            mounter.unmount(null, mountPoint);
        }
        driver.node().detach(v.backendId());
        control.release(v.id(), node);
        if (driver.blockDevices() && !mounter.isMounted(mountPoint)) {
            deleteEmptyDir(mountPoint);
        }
    }

    /**
     * The mount could not be recorded (the store refused the write): a mount nobody knows of must
     * not stay behind, so unless others use the volume here, unmount, and unless it was attached
     * explicitly, detach and release, as far as that goes; what fails is added to {@code cause}.
     */
    private void undoMount(Volume v, StorageDriver driver, Device dev, Path mountPoint, Claim claim, BerthException cause) {
        try {
            if (!control.refs(node, v.id()).isEmpty()) {
                return;
            }
            if (dev.block()) {
                mounter.unmount(dev, mountPoint);
            }
            if (!claim.explicit()) {
                driver.node().detach(v.backendId());
                control.release(v.id(), node);
            }
            LOG.warning("mount of " + v.name() + " could not be recorded (" + cause.getMessage() + "); undid it");
        } catch (BerthException e) {
            cause.addSuppressed(e);
            LOG.warning("mount of " + v.name() + " could not be recorded (" + cause.getMessage()
                    + ") and could not be fully undone (" + e.getMessage() + "); the next start cleans it up");
        }
    }

    private static String count(List<String> refs) {
        return refs.size() + " mount reference" + (refs.size() == 1 ? "" : "s");
    }

    /**
     * Removes an unmounted mount point and its empty data folder. Only real folders are removed:
     * through a symlink planted at the mount point, "dir/data" would be a folder of the link's
     * target (and the link itself is not Berth's to delete).
     */
    private static void deleteEmptyDir(Path dir) {
        try {
            if (!RealDirs.isRealDir(dir)) {
                return;
            }
            Path data = dir.resolve(MountLayout.DATA);
            if (RealDirs.isRealDir(data)) {
                Files.deleteIfExists(data);
            }
            Files.deleteIfExists(dir);
        } catch (BerthException e) {
            LOG.warning("left " + dir + " in place: " + e.getMessage());
        } catch (IOException e) {
            LOG.fine("left " + dir + " in place: " + e.getMessage());
        }
    }
}
