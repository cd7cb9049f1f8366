package dev.berth.core.service;

import dev.berth.core.error.AttachedElsewhere;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.Busy;
import dev.berth.core.error.NotFound;
import dev.berth.core.model.Attachment;
import dev.berth.core.model.Claim;
import dev.berth.core.model.Device;
import dev.berth.core.model.FsType;
import dev.berth.core.model.MountRefs;
import dev.berth.core.model.Names;
import dev.berth.core.model.Size;
import dev.berth.core.model.Volume;
import dev.berth.core.model.VolumeSpec;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StorageDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * The volume life cycle on this node: create, attach (claim + driver attach), mount (format on
 * first use), unmount, detach, remove. Every operation on one volume runs under that volume's
 * lock; claims in the store keep other nodes out.
 */
public final class VolumeService implements Volumes {
    private static final Logger LOG = Logger.getLogger(VolumeService.class.getName());
    private final ServiceRegistry services;
    private final VolumeDefaults defaults;
    private final MountLayout layout;
    private final NodeLease lease;
    private final Clock clock;
    private final Checkpoints checkpoints;
    private final VolumeCatalog catalog;
    private final ClaimBook claims;
    private final NodeRecords records;
    private final Mounter mounter;
    private final VolumeViews views;
    private final VolumeLocks locks = new VolumeLocks();

    public VolumeService(StateStore store, Codec codec, ServiceRegistry services, VolumeDefaults defaults,
                         HostOps host, MountLayout layout, NodeLease lease, Clock clock, Checkpoints checkpoints) {
        this.services = services;
        this.defaults = defaults;
        this.layout = layout;
        this.lease = lease;
        this.clock = clock;
        this.checkpoints = checkpoints;
        this.catalog = new VolumeCatalog(store, codec, services);
        this.claims = new ClaimBook(store, codec, clock);
        this.records = new NodeRecords(store, codec, clock, lease.nodeId());
        this.mounter = new Mounter(host);
        this.views = new VolumeViews(store, codec, services);
    }

    /** The reconciler for this service's node, to run once at start before serving. */
    public Reconciler reconciler(HostOps host) {
        return new Reconciler(catalog, claims, records, mounter, services, layout, host, lease);
    }

    /**
     * Re-takes the claims of everything attached here under the node's new lease. Called when the
     * old lease expired while this process was alive (e.g. the store was unreachable for a TTL).
     */
    public void reclaim() {
        for (Attachment a : records.attachments().values()) {
            catalog.byId(a.volumeId()).ifPresent(v -> locks.with(v.service(), v.name(), () -> {
                try {
                    claims.take(v, records.node(), lease.id(), records.refs(v.id()).isEmpty());
                } catch (BerthException e) {
                    LOG.severe("lost volume " + v.name() + " while the node lease was gone: " + e.getMessage());
                }
                return null;
            }));
        }
    }

    @Override
    public VolumeView create(CreateVolume req) {
        String name = Names.volume(req.name());
        String service = req.service() == null ? services.defaultService() : Names.service(req.service());
        StorageDriver driver = services.require(service);
        long size = req.size() == null ? defaults.sizeBytes() : Size.parse(req.size());
        FsType fs = req.fsType() == null ? defaults.fsType() : FsType.parse(req.fsType());
        VolumeSpec spec = new VolumeSpec(name, service, size, fs, req.labels());
        return locks.with(service, name, () -> {
            Optional<Volume> existing = catalog.byName(service, name);
            if (existing.isPresent()) {
                return sameOrConflict(existing.get(), spec);
            }
            String id = UUID.randomUUID().toString().replace("-", "");
            String backendId = driver.create(id, spec);
            Volume v = new Volume(id, name, service, driver.kind(), backendId, size, fs, spec.labels(), clock.instant(), null);
            if (!catalog.insert(v)) {
                driver.remove(backendId);
                return sameOrConflict(catalog.byName(service, name).orElseThrow(), spec);
            }
            LOG.info("created volume " + service + "/" + name + " (" + Size.format(size) + ", " + fs + ")");
            return views.of(v, true);
        });
    }

    private VolumeView sameOrConflict(Volume existing, VolumeSpec spec) {
        if (existing.sizeBytes() != spec.sizeBytes()) {
            throw VolumeCatalog.conflict(existing, "size (" + Size.format(existing.sizeBytes()) + ")");
        }
        if (existing.fsType() != spec.fsType()) {
            throw VolumeCatalog.conflict(existing, "filesystem (" + existing.fsType() + ")");
        }
        return views.of(existing, true);
    }

    @Override
    public void remove(VolumeRef ref, boolean force) {
        Volume found = catalog.resolve(ref);
        locks.with(found.service(), found.name(), () -> {
            Volume v = reload(found);
            Optional<Claim> claim = claims.current(v.id());
            if (claim.isPresent() && !claim.get().node().equals(records.node())) {
                throw new AttachedElsewhere(v.name(), claim.get().node(), null);
            }
            List<String> refs = records.refs(v.id());
            if (!force && !refs.isEmpty()) {
                throw new Busy("volume " + v.name() + " is mounted (" + refs.size() + " mount reference"
                        + (refs.size() == 1 ? "" : "s") + ")",
                        "stop the containers using it or run `berth volume unmount`, or remove with --force");
            }
            if (!force && claim.isPresent()) {
                throw new Busy("volume " + v.name() + " is attached to this node",
                        "run `berth volume detach " + v.name() + "` first, or remove with --force");
            }
            release(v, true);
            services.require(v.service()).remove(v.backendId());
            catalog.delete(v);
            if (!mounter.isMounted(layout.mountPoint(v))) {
                deleteEmptyDir(layout.mountPoint(v));
            }
            LOG.info("removed volume " + v.service() + "/" + v.name());
            return null;
        });
    }

    @Override
    public VolumeView inspect(VolumeRef ref) {
        return views.of(catalog.resolve(ref), true);
    }

    @Override
    public List<VolumeView> list(String service) {
        return views.all(catalog.list(service));
    }

    @Override
    public VolumeView attach(VolumeRef ref) {
        Volume found = catalog.resolve(ref);
        return locks.with(found.service(), found.name(), () -> {
            Volume v = reload(found);
            claims.take(v, records.node(), lease.id(), true);
            Device dev = services.require(v.service()).node().attach(v.backendId());
            String mp = records.attachment(v.id()).map(Attachment::mountPoint).orElse(null);
            records.putAttachment(new Attachment(v.id(), dev.path().toString(), dev.block(), mp));
            return views.of(v, true);
        });
    }

    @Override
    public VolumeView detach(VolumeRef ref, boolean force) {
        Volume found = catalog.resolve(ref);
        return locks.with(found.service(), found.name(), () -> {
            Volume v = reload(found);
            Optional<Claim> claim = claims.current(v.id());
            if (claim.isPresent() && !claim.get().node().equals(records.node())) {
                throw new AttachedElsewhere(v.name(), claim.get().node(), null);
            }
            List<String> refs = records.refs(v.id());
            if (!force && !refs.isEmpty()) {
                throw new Busy("volume " + v.name() + " is mounted (" + refs.size() + " mount reference"
                        + (refs.size() == 1 ? "" : "s") + ")", "unmount it first, or detach with --force");
            }
            release(v, true);
            return views.of(v, true);
        });
    }

    @Override
    public String mount(VolumeRef ref, String mountRef) {
        MountRefs.check(mountRef);
        Volume found = catalog.resolve(ref);
        return locks.with(found.service(), found.name(), () -> {
            Volume v = reload(found);
            Claim claim = claims.take(v, records.node(), lease.id(), false);
            Optional<Attachment> known = records.attachment(v.id());
            Path mountPoint;
            Device dev;
            if (known.isPresent() && known.get().mountPoint() != null
                    && (!known.get().block() || mounter.isMounted(Path.of(known.get().mountPoint())))) {
                // Already mounted here for another user: no host tool needs to run.
                dev = new Device(Path.of(known.get().device()), known.get().block());
                mountPoint = Path.of(known.get().mountPoint());
            } else {
                StorageDriver driver = services.require(v.service());
                dev = driver.node().attach(v.backendId());
                checkpoints.reached("after-attach");
                mountPoint = dev.block() ? layout.mountPoint(v) : dev.path();
                String fs;
                try {
                    fs = mounter.mount(v, dev, mountPoint);
                } catch (BerthException e) {
                    if (!claim.explicit() && records.refs(v.id()).isEmpty()) {
                        driver.node().detach(v.backendId());
                        claims.release(v.id(), records.node());
                    }
                    throw e;
                }
                checkpoints.reached("after-mount");
                records.recordMount(new Attachment(v.id(), dev.path().toString(), dev.block(), mountPoint.toString()),
                        mountRef, fs == null || fs.equals(v.filesystem()) ? null : v.withFilesystem(fs));
                return MountLayout.containerPath(mountPoint).toString();
            }
            records.addRef(v.id(), mountRef);
            return MountLayout.containerPath(mountPoint).toString();
        });
    }

    @Override
    public void unmount(VolumeRef ref, String mountRef) {
        MountRefs.check(mountRef);
        Volume found = catalog.resolve(ref);
        locks.with(found.service(), found.name(), () -> {
            Volume v = reload(found);
            records.removeRef(v.id(), mountRef);
            if (!records.refs(v.id()).isEmpty()) {
                return null;
            }
            Optional<Claim> claim = claims.current(v.id());
            boolean mine = claim.isPresent() && claim.get().node().equals(records.node());
            if (mine && claim.get().explicit()) {
                Optional<Attachment> a = records.attachment(v.id());
                a.ifPresent(att -> {
                    if (att.mountPoint() != null) {
                        mounter.unmount(new Device(Path.of(att.device()), att.block()), Path.of(att.mountPoint()));
                    }
                    records.putAttachment(att.withMountPoint(null));
                });
            } else if (mine || records.attachment(v.id()).isPresent()) {
                release(v, true);
            }
            return null;
        });
    }

    @Override
    public Optional<String> path(VolumeRef ref) {
        Volume v = catalog.resolve(ref);
        return records.attachment(v.id()).map(Attachment::mountPoint)
                .map(mp -> MountLayout.containerPath(Path.of(mp)).toString());
    }

    @Override
    public List<ServiceInfo> services() {
        return services.names().stream().map(name -> {
            StorageDriver d = services.require(name);
            var cap = d.capacity();
            return new ServiceInfo(name, d.kind(), name.equals(services.defaultService()), cap.total(), cap.available());
        }).toList();
    }

    /**
     * Unmounts, detaches and releases the claim on this node, dropping mount references when
     * {@code dropRefs}. Safe to call in any partial state.
     */
    private void release(Volume v, boolean dropRefs) {
        if (dropRefs) {
            records.removeAllRefs(v.id());
        }
        StorageDriver driver = services.require(v.service());
        Optional<Attachment> a = records.attachment(v.id());
        if (driver.blockDevices()) {
            mounter.unmount(null, a.map(Attachment::mountPoint).map(Path::of).orElse(layout.mountPoint(v)));
        }
        driver.node().detach(v.backendId());
        records.deleteAttachment(v.id());
        claims.release(v.id(), records.node());
    }

    /** Re-reads a volume under its lock: it may have been removed since it was resolved. */
    private Volume reload(Volume v) {
        return catalog.byId(v.id()).orElseThrow(() -> new NotFound("no such volume: " + v.name(),
                "it was removed meanwhile; list volumes with `berth volume ls`"));
    }

    private static void deleteEmptyDir(Path dir) {
        try {
            Files.deleteIfExists(dir.resolve(MountLayout.DATA));
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            LOG.fine("left " + dir + " in place: " + e.getMessage());
        }
    }
}
