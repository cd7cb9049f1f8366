package dev.berth.core.controller;

import dev.berth.core.error.AttachedElsewhere;
import dev.berth.core.error.Busy;
import dev.berth.core.model.Attachment;
import dev.berth.core.model.Claim;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Names;
import dev.berth.core.model.Node;
import dev.berth.core.model.Size;
import dev.berth.core.model.Volume;
import dev.berth.core.model.VolumeSpec;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.KeyedLocks;
import dev.berth.core.service.NodeInfo;
import dev.berth.core.service.ServiceInfo;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.VolumeAdmin;
import dev.berth.core.service.VolumeDefaults;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.service.VolumeView;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.ControlPlane;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StorageDriver;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * The controller: owns the state store and the backends. It creates and removes volumes, and
 * decides which node may attach which volume (claims bound to node leases). Nodes reach it through
 * {@link ControlPlane}; users through {@link VolumeAdmin}.
 */
public final class ControllerService implements VolumeAdmin, ControlPlane {
    private static final Logger LOG = Logger.getLogger(ControllerService.class.getName());
    private final ServiceRegistry services;
    private final VolumeDefaults defaults;
    private final Clock clock;
    private final VolumeCatalog catalog;
    private final ClaimBook claims;
    private final NodeBook nodes;
    private final NodeDirectory directory;
    private final VolumeViews views;
    private final CapacityCheck capacity;
    private final BackendInventory inventory;
    private final KeyedLocks createLocks = new KeyedLocks();

    public ControllerService(StateStore store, Codec codec, ServiceRegistry services, VolumeDefaults defaults,
                             Duration leaseTtl, Clock clock) {
        this.services = services;
        this.defaults = defaults;
        this.clock = clock;
        this.catalog = new VolumeCatalog(store, codec, services);
        this.claims = new ClaimBook(store, codec, clock);
        this.nodes = new NodeBook(store, codec, clock);
        this.directory = new NodeDirectory(store, codec, clock, leaseTtl);
        this.views = new VolumeViews(store, codec, services);
        this.capacity = new CapacityCheck(services, catalog::ofService);
        this.inventory = new BackendInventory(store, catalog, services, defaults, clock);
    }

    /**
     * At start, before any node registers (then, once, moves Docker mount references of an older
     * Berth into their namespace): refuses to start (with {@link dev.berth.core.error.Unavailable})
     * on a never-written store when backend volumes (loop images) exist, or, with {@code adopt},
     * rebuilds the records of those no record owns. Returns what it did, one line each; images no
     * record owns in a store written before are reported by {@link #unownedImages}.
     *
     * @param stateLocation where the state lives, for the messages (e.g. the state directory)
     */
    public List<String> checkBackends(boolean adopt, String stateLocation) {
        List<String> report = inventory.check(adopt, stateLocation);
        // Only after the inventory: this may write a marker, and the inventory must still see a
        // never-written store as the sign of lost state.
        int moved = nodes.namespaceLegacyDockerRefs();
        if (moved > 0) {
            LOG.info("moved " + moved + " Docker mount reference(s) of an older Berth to the docker: namespace");
        }
        return report;
    }

    /**
     * The images of the backends that no volume record owns, one line each (left in place). Not a
     * safety check (that is {@link #checkBackends}): the daemon runs it once it serves.
     */
    public List<String> unownedImages() {
        return inventory.report();
    }

    // ---- VolumeAdmin ---------------------------------------------------------------------

    @Override
    public VolumeView create(CreateVolume req) {
        String name = Names.volume(req.name());
        String service = req.service() == null ? services.defaultService() : Names.service(req.service());
        StorageDriver driver = services.require(service);
        long size = req.size() == null ? defaults.sizeBytes() : Size.parse(req.size());
        FsType fs = req.fsType() == null ? defaults.fsType() : FsType.parse(req.fsType());
        fs.requireFits(size);
        VolumeSpec spec = new VolumeSpec(name, service, size, fs, req.labels());
        KeyedLocks.Held lock = createLocks.lock(service + "/" + name);
        try {
            Optional<Volume> existing = catalog.byName(service, name);
            if (existing.isPresent()) {
                return sameOrConflict(existing.get(), spec);
            }
            capacity.reserve(driver, spec);
            String id = UUID.randomUUID().toString().replace("-", "");
            String backendId = driver.create(id, spec);
            Volume v = new Volume(id, name, service, driver.kind(), backendId, size, fs, spec.labels(), clock.instant(), null);
            if (!insertOrUndo(v, driver)) {
                driver.remove(backendId);
                return sameOrConflict(catalog.byName(service, name).orElseThrow(), spec);
            }
            LOG.info("created volume " + service + "/" + name + " (" + Size.format(size) + ", " + fs + ")");
            return views.of(v, true);
        } finally {
            capacity.release(spec);
            lock.close();
        }
    }

    /**
     * Writes the new record; if the store refuses, the backend object just made is removed again,
     * so a failed create leaves no image that no record owns, and the store's error is thrown.
     */
    private boolean insertOrUndo(Volume v, StorageDriver driver) {
        try {
            return catalog.insert(v);
        } catch (RuntimeException e) {
            try {
                driver.remove(v.backendId());
                LOG.warning("create of " + v.service() + "/" + v.name() + " failed in the state store ("
                        + e.getMessage() + "); removed its new backend object " + v.backendId() + " again");
            } catch (RuntimeException undo) {
                e.addSuppressed(undo);
                LOG.severe("create of " + v.service() + "/" + v.name() + " failed in the state store and its new backend object "
                        + v.backendId() + " could not be removed (" + undo.getMessage() + "): it is left in the pool");
            }
            throw e;
        }
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
    public void remove(VolumeRef ref) {
        Volume v = catalog.resolve(ref);
        Map<String, List<String>> refs = nodes.refsEverywhere(v.id());
        if (!refs.isEmpty()) {
            var e = refs.entrySet().iterator().next();
            throw new Busy("volume " + v.name() + " is mounted on node " + e.getKey() + " (" + e.getValue().size()
                    + " mount reference" + (e.getValue().size() == 1 ? "" : "s") + ")",
                    "stop the containers using it or run `berth volume unmount`, or remove with --force on that node");
        }
        Optional<Claim> claim = claims.current(v.id());
        if (claim.isPresent()) {
            throw new Busy("volume " + v.name() + " is attached to node " + claim.get().node(),
                    "run `berth volume detach " + v.name() + "` there first, or remove with --force on that node");
        }
        services.require(v.service()).remove(v.backendId());
        catalog.delete(v);
        LOG.info("removed volume " + v.service() + "/" + v.name());
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
    public List<ServiceInfo> services() {
        return services.names().stream().map(name -> {
            StorageDriver d = services.require(name);
            CapacityCheck.Usage u = capacity.usage(name);
            boolean isDefault = name.equals(services.defaultService());
            if (u == null) {
                var cap = d.capacity();
                return new ServiceInfo(name, d.kind(), isDefault, cap.total(), cap.available(), null, null, null, null);
            }
            return new ServiceInfo(name, d.kind(), isDefault, u.totalBytes(), u.freeBytes(), u.committedBytes(),
                    u.allocatedBytes(), u.overcommit(), u.headroomBytes());
        }).toList();
    }

    @Override
    public List<NodeInfo> nodes() {
        return directory.list();
    }

    // ---- ControlPlane --------------------------------------------------------------------

    @Override
    public Duration register(Node node) {
        directory.register(node);
        LOG.fine("node " + node.id() + " registered");
        return directory.ttl();
    }

    /** See {@link NodeDirectory#renewAll}: once the APIs listen after a start. */
    public int renewNodeLeases() {
        return directory.renewAll();
    }

    @Override
    public void heartbeat(String node) {
        directory.heartbeat(Names.node(node));
    }

    @Override
    public Volume resolve(VolumeRef ref) {
        return catalog.resolve(ref);
    }

    @Override
    public Optional<Volume> volume(String id) {
        return catalog.byId(id);
    }

    @Override
    public List<Volume> volumes() {
        return catalog.list(null);
    }

    @Override
    public Optional<Claim> claimOf(String volumeId) {
        return claims.current(volumeId);
    }

    @Override
    public Claim claim(String volumeId, String node, boolean explicit) {
        Volume v = catalog.byId(volumeId).orElseThrow(() -> gone(volumeId));
        try {
            return claims.take(v, Names.node(node), directory.leaseOf(node), explicit);
        } catch (AttachedElsewhere e) {
            LOG.info("refused " + v.name() + " to " + node + ": " + e.getMessage());
            throw e;
        }
    }

    @Override
    public void release(String volumeId, String node) {
        claims.release(volumeId, Names.node(node), dev.berth.core.service.StateKeys.attachment(node, volumeId));
    }

    @Override
    public Optional<Attachment> attachment(String node, String volumeId) {
        return nodes.attachment(Names.node(node), volumeId);
    }

    @Override
    public List<String> refs(String node, String volumeId) {
        return nodes.refs(Names.node(node), volumeId);
    }

    @Override
    public NodeState nodeState(String node) {
        return new NodeState(nodes.attachments(Names.node(node)), nodes.allRefs(node), claims.heldBy(node));
    }

    @Override
    public void putAttachment(String node, Attachment attachment) {
        // Records of a volume that does not exist would only be clutter a node can plant: refused.
        catalog.byId(attachment.volumeId()).orElseThrow(() -> gone(attachment.volumeId()));
        nodes.putAttachment(Names.node(node), attachment);
    }

    @Override
    public void deleteAttachment(String node, String volumeId) {
        nodes.deleteAttachment(Names.node(node), volumeId);
    }

    @Override
    public void recordMount(String node, Attachment attachment, String ref, String filesystem) {
        Volume v = catalog.byId(attachment.volumeId()).orElseThrow(() -> gone(attachment.volumeId()));
        Volume updated = filesystem == null || filesystem.equals(v.filesystem()) ? null : v.withFilesystem(filesystem);
        nodes.recordMount(Names.node(node), attachment, ref, updated);
    }

    @Override
    public void addRef(String node, String volumeId, String ref) {
        catalog.byId(volumeId).orElseThrow(() -> gone(volumeId));
        nodes.addRef(Names.node(node), volumeId, ref);
    }

    @Override
    public int removeRef(String node, String volumeId, String ref) {
        nodes.removeRef(Names.node(node), volumeId, ref);
        return nodes.refs(node, volumeId).size();
    }

    @Override
    public void removeAllRefs(String node, String volumeId) {
        nodes.removeAllRefs(Names.node(node), volumeId);
    }

    private static dev.berth.core.error.NotFound gone(String id) {
        return new dev.berth.core.error.NotFound("no such volume id: " + id,
                "it was removed meanwhile; list volumes with `berth volume ls`");
    }
}
