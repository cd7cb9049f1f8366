package dev.berth.csi;

import csi.v1.ControllerGrpc;
import csi.v1.Csi;
import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.error.NotSupported;
import dev.berth.core.error.OutOfCapacity;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Grant;
import dev.berth.core.model.Size;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.NodeInfo;
import dev.berth.core.service.PublishControl;
import dev.berth.core.service.ServiceInfo;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.model.ContentSource;
import dev.berth.core.service.CreateSnapshot;
import dev.berth.core.service.SnapshotRef;
import dev.berth.core.service.SnapshotView;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.service.VolumeView;
import dev.berth.core.service.Volumes;
import dev.berth.core.spi.Progress;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * CSI's Controller service over Berth's controller: volumes by id, and publish/unpublish as the
 * claim a node's attach takes (so a volume published to one node through CSI is refused to Docker
 * on another, and the other way round). Snapshots, clones and expansion go through {@link Volumes}
 * (in all-in-one: a volume mounted on this node is frozen here around a copy, and grown here
 * online); snapshots are independent objects, so DeleteVolume keeps them.
 */
public final class CsiController extends ControllerGrpc.ControllerImplBase {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(CsiController.class.getName());
    static final String PARAM_SERVICE = "service";
    static final String PARAM_FS_TYPE = "fsType";
    /** Parameters Kubernetes' external-provisioner adds (PVC name, namespace, …): not Berth's to judge. */
    static final String K8S_PREFIX = "csi.storage.k8s.io/";
    static final String CTX_SERVICE = "berth.dev/service";
    static final String CTX_NAME = "berth.dev/name";
    static final String PUBLISH_EPOCH = "berth.dev/epoch";
    private final Volumes admin;
    private final PublishControl control;
    private final ServiceRegistry services;
    private final String zone;
    private final InFlight inFlight = new InFlight();
    private final long defaultSize;

    /**
     * @param zone        the zone of this controller's pools ({@code csi.zone}); empty for none
     * @param defaultSize the size of a volume whose capacity range names none (volumes.defaultSize)
     */
    public CsiController(Volumes admin, PublishControl control, ServiceRegistry services, String zone,
                         long defaultSize) {
        this.defaultSize = defaultSize;
        this.admin = admin;
        this.control = control;
        this.services = services;
        this.zone = zone == null ? "" : zone;
    }

    @Override
    public void controllerGetCapabilities(Csi.ControllerGetCapabilitiesRequest request,
                                          StreamObserver<Csi.ControllerGetCapabilitiesResponse> out) {
        Calls.answer(out, () -> {
            var b = Csi.ControllerGetCapabilitiesResponse.newBuilder();
            for (var t : List.of(Csi.ControllerServiceCapability.RPC.Type.CREATE_DELETE_VOLUME,
                    Csi.ControllerServiceCapability.RPC.Type.PUBLISH_UNPUBLISH_VOLUME,
                    Csi.ControllerServiceCapability.RPC.Type.LIST_VOLUMES,
                    Csi.ControllerServiceCapability.RPC.Type.LIST_VOLUMES_PUBLISHED_NODES,
                    Csi.ControllerServiceCapability.RPC.Type.GET_CAPACITY,
                    Csi.ControllerServiceCapability.RPC.Type.GET_VOLUME,
                    Csi.ControllerServiceCapability.RPC.Type.VOLUME_CONDITION,
                    Csi.ControllerServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER,
                    Csi.ControllerServiceCapability.RPC.Type.CREATE_DELETE_SNAPSHOT,
                    Csi.ControllerServiceCapability.RPC.Type.LIST_SNAPSHOTS,
                    Csi.ControllerServiceCapability.RPC.Type.GET_SNAPSHOT,
                    Csi.ControllerServiceCapability.RPC.Type.CLONE_VOLUME,
                    Csi.ControllerServiceCapability.RPC.Type.EXPAND_VOLUME)) {
                b.addCapabilities(Csi.ControllerServiceCapability.newBuilder()
                        .setRpc(Csi.ControllerServiceCapability.RPC.newBuilder().setType(t)));
            }
            return b.build();
        });
    }

    @Override
    public void createVolume(Csi.CreateVolumeRequest req, StreamObserver<Csi.CreateVolumeResponse> out) {
        Calls.answer(out, () -> {
            String name = CsiNames.volumeName(req.getName());
            CsiAccess.requireSome(req.getVolumeCapabilitiesList());
            boolean copy = req.hasVolumeContentSource();
            if (copy && req.getVolumeContentSource().getTypeCase() == Csi.VolumeContentSource.TypeCase.TYPE_NOT_SET) {
                throw Calls.invalid("volume_content_source names neither a snapshot nor a volume");
            }
            // A copy stays in its source's service: with no service parameter, that one.
            String asked = req.getParametersMap().get(PARAM_SERVICE);
            String service = service(req.getParametersMap());
            String fs = fsType(req.getParametersMap(), req.getVolumeCapabilitiesList());
            if (req.hasAccessibilityRequirements() && !Topologies.satisfies(zone, req.getAccessibilityRequirements())) {
                throw new OutOfCapacity("Berth's pools here are in zone " + zone + ", which none of the requisite "
                        + "topologies names", "ask for " + Topologies.ZONE + "=" + zone + ", or use a controller of that zone");
            }
            long required = req.getCapacityRange().getRequiredBytes();
            long limit = req.getCapacityRange().getLimitBytes();
            Source source = copy ? source(req.getVolumeContentSource()) : null;
            if (source != null && (asked == null || asked.isEmpty())) {
                service = source.service();
            }
            checkCapabilities(service, req.getVolumeCapabilitiesList());
            long size = source == null ? CapacityRanges.forCreate(required, limit, defaultSize)
                    : CapacityRanges.forCopy(required, limit, source.sizeBytes());
            String origin = source == null ? null : source.origin();
            try (InFlight.Slot ignored = inFlight.enter("name:" + service + "/" + name, "volume " + name, "CreateVolume")) {
                Optional<VolumeView> existing = find(name, service);
                if (existing.isPresent()) {
                    VolumeView v = existing.get();
                    boolean sizeFits = v.sizeBytes() >= required && (limit == 0 || v.sizeBytes() <= limit);
                    boolean fsFits = fs == null || fs.equals(v.fsType());
                    boolean sourceFits = java.util.Objects.equals(origin, v.details().get("origin"));
                    if (!sizeFits || !fsFits || !sourceFits) {
                        throw new AlreadyExists("volume " + name + " exists with " + Size.format(v.sizeBytes()) + " "
                                + v.fsType() + (v.details().containsKey("origin") ? ", made from " + v.details().get("origin") : "")
                                + ", which does not match this request", "use another name, or ask for what it has");
                    }
                    return created(v, req);
                }
                String sizeText = size == 0 ? null : Long.toString(size);
                VolumeView v = source == null
                        ? admin.create(new CreateVolume(name, service, sizeText, fs, Map.of()))
                        : admin.create(new CreateVolume(name, service, sizeText, fs, Map.of(), source.ref(), null), Progress.NONE);
                return created(v, req);
            }
        });
    }

    /** The answer to a create: the volume, with the content source it was asked for (the spec: echoed). */
    private Csi.CreateVolumeResponse created(VolumeView v, Csi.CreateVolumeRequest req) {
        Csi.Volume.Builder b = volume(v).toBuilder();
        if (req.hasVolumeContentSource()) {
            b.setContentSource(req.getVolumeContentSource());
        }
        return Csi.CreateVolumeResponse.newBuilder().setVolume(b).build();
    }

    /** A resolved content source: how the core names it, its service and size, and the origin a copy of it records. */
    private record Source(ContentSource ref, String service, long sizeBytes, String origin) {
    }

    private Source source(Csi.VolumeContentSource src) {
        if (src.hasSnapshot()) {
            String id = Calls.require(src.getSnapshot().getSnapshotId(), "volume_content_source.snapshot.snapshot_id");
            SnapshotView s = snapshotById(id).orElseThrow(() -> new NotFound("snapshot " + Ids.shown(id)
                    + " (volume_content_source) does not exist", "list snapshots with ListSnapshots"));
            return new Source(ContentSource.snapshot(s.id()), s.service(), s.sizeBytes(), "snapshot:" + s.id());
        }
        String id = Calls.require(src.getVolume().getVolumeId(), "volume_content_source.volume.volume_id");
        VolumeView v = (Ids.valid(id) ? control.byId(id) : Optional.<VolumeView>empty()).orElseThrow(() -> new NotFound(
                "volume " + Ids.shown(id) + " (volume_content_source) does not exist", "list volumes with ListVolumes"));
        return new Source(ContentSource.volume(v.service() + "/" + v.name()), v.service(), v.sizeBytes(), "volume:" + v.id());
    }

    @Override
    public void deleteVolume(Csi.DeleteVolumeRequest req, StreamObserver<Csi.DeleteVolumeResponse> out) {
        Calls.answer(out, () -> {
            String id = Calls.require(req.getVolumeId(), "volume_id");
            try (InFlight.Slot ignored = inFlight.enter(id, "volume " + id, "DeleteVolume")) {
                control.removeById(id);
            }
            return Csi.DeleteVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void controllerPublishVolume(Csi.ControllerPublishVolumeRequest req,
                                        StreamObserver<Csi.ControllerPublishVolumeResponse> out) {
        Calls.answer(out, () -> {
            String id = Calls.require(req.getVolumeId(), "volume_id");
            String node = Calls.require(req.getNodeId(), "node_id");
            if (!req.hasVolumeCapability()) {
                throw Calls.invalid("volume_capability is missing");
            }
            CsiAccess.of(req.getVolumeCapability(), req.getReadonly());
            try (InFlight.Slot ignored = inFlight.enter(id, "volume " + id, "ControllerPublishVolume")) {
                VolumeView v = control.byId(id).orElseThrow(() -> missing(id));
                checkCapabilities(v.service(), List.of(req.getVolumeCapability()));
                Grant g = control.publish(id, node);
                return Csi.ControllerPublishVolumeResponse.newBuilder()
                        .putPublishContext(PUBLISH_EPOCH, Long.toString(g.epoch())).build();
            }
        });
    }

    @Override
    public void controllerUnpublishVolume(Csi.ControllerUnpublishVolumeRequest req,
                                          StreamObserver<Csi.ControllerUnpublishVolumeResponse> out) {
        Calls.answer(out, () -> {
            String id = Calls.require(req.getVolumeId(), "volume_id");
            try (InFlight.Slot ignored = inFlight.enter(id, "volume " + id, "ControllerUnpublishVolume")) {
                control.unpublish(id, req.getNodeId().isEmpty() ? null : req.getNodeId());
            }
            return Csi.ControllerUnpublishVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void validateVolumeCapabilities(Csi.ValidateVolumeCapabilitiesRequest req,
                                           StreamObserver<Csi.ValidateVolumeCapabilitiesResponse> out) {
        Calls.answer(out, () -> {
            String id = Calls.require(req.getVolumeId(), "volume_id");
            CsiAccess.requireSome(req.getVolumeCapabilitiesList());
            VolumeView v = control.byId(id).orElseThrow(() -> missing(id));
            try {
                String service = req.getParametersCount() == 0 ? v.service() : service(req.getParametersMap());
                if (!service.equals(v.service())) {
                    throw new InvalidArgument("the volume is in service " + v.service() + ", not " + service, "");
                }
                checkCapabilities(v.service(), req.getVolumeCapabilitiesList());
                String fs = fsType(req.getParametersMap(), req.getVolumeCapabilitiesList());
                if (fs != null && !fs.equals(v.fsType())) {
                    throw new InvalidArgument("the volume holds " + v.fsType() + ", not " + fs, "");
                }
            } catch (InvalidArgument | NotSupported e) {
                return Csi.ValidateVolumeCapabilitiesResponse.newBuilder().setMessage(e.fullMessage()).build();
            }
            return Csi.ValidateVolumeCapabilitiesResponse.newBuilder().setConfirmed(
                    Csi.ValidateVolumeCapabilitiesResponse.Confirmed.newBuilder()
                            .putAllVolumeContext(req.getVolumeContextMap())
                            .addAllVolumeCapabilities(req.getVolumeCapabilitiesList())
                            .putAllParameters(req.getParametersMap())
                            .putAllMutableParameters4(req.getMutableParameters6Map())).build();
        });
    }

    @Override
    public void listVolumes(Csi.ListVolumesRequest req, StreamObserver<Csi.ListVolumesResponse> out) {
        Calls.answer(out, () -> {
            Pages.Page<VolumeView> page = Pages.of(admin.list(null), VolumeView::id, req.getMaxEntries(),
                    req.getStartingToken());
            Set<String> alive = aliveNodes();
            var b = Csi.ListVolumesResponse.newBuilder().setNextToken(page.nextToken());
            for (VolumeView v : page.entries()) {
                b.addEntries(Csi.ListVolumesResponse.Entry.newBuilder().setVolume(volume(v)).setStatus(
                        Csi.ListVolumesResponse.VolumeStatus.newBuilder()
                                .addAllPublishedNodeIds(v.node() == null ? List.of() : List.of(v.node()))
                                .setVolumeCondition(condition(v, alive))));
            }
            return b.build();
        });
    }

    // ---- snapshots --------------------------------------------------------------------------

    /**
     * A snapshot of a Berth volume, named as CSI names it (a name Berth refuses gets a derived
     * one, as for volumes). CSI names are unique per plugin, Berth's per volume: the name taken
     * by a snapshot of another volume is ALREADY_EXISTS; the same request again answers the same
     * snapshot.
     */
    @Override
    public void createSnapshot(Csi.CreateSnapshotRequest req, StreamObserver<Csi.CreateSnapshotResponse> out) {
        Calls.answer(out, () -> {
            String name = CsiNames.snapshotName(req.getName());
            String volumeId = Calls.require(req.getSourceVolumeId(), "source_volume_id");
            for (String key : req.getParametersMap().keySet()) {
                if (!key.startsWith(K8S_PREFIX)) {
                    throw new InvalidArgument("snapshot parameter '" + Ids.shown(key) + "' is not one Berth knows",
                            "Berth's snapshots take no parameters; remove it from the snapshot class");
                }
            }
            try (InFlight.Slot ignored = inFlight.enter("snapshot:" + name, "snapshot " + name, "CreateSnapshot")) {
                List<SnapshotView> named = admin.snapshots(null).stream().filter(s -> s.name().equals(name)).toList();
                Optional<SnapshotView> same = named.stream().filter(s -> s.volumeId().equals(volumeId)).findFirst();
                if (same.isPresent()) {
                    return Csi.CreateSnapshotResponse.newBuilder().setSnapshot(snapshot(same.get())).build();
                }
                if (!named.isEmpty()) {
                    throw new AlreadyExists("snapshot name " + Ids.shown(req.getName()) + " is taken by a snapshot of volume "
                            + named.getFirst().volumeId() + ", not " + Ids.shown(volumeId),
                            "use another name (CSI snapshot names are unique per plugin)");
                }
                VolumeView v = (Ids.valid(volumeId) ? control.byId(volumeId) : Optional.<VolumeView>empty())
                        .orElseThrow(() -> missing(volumeId));
                SnapshotView s = admin.snapshot(new CreateSnapshot(new VolumeRef(v.name(), v.service()), name, null),
                        Progress.NONE);
                return Csi.CreateSnapshotResponse.newBuilder().setSnapshot(snapshot(s)).build();
            }
        });
    }

    @Override
    public void deleteSnapshot(Csi.DeleteSnapshotRequest req, StreamObserver<Csi.DeleteSnapshotResponse> out) {
        Calls.answer(out, () -> {
            String id = Calls.require(req.getSnapshotId(), "snapshot_id");
            try (InFlight.Slot ignored = inFlight.enter("snapshot-id:" + id, "snapshot " + id, "DeleteSnapshot")) {
                if (snapshotById(id).isPresent()) {
                    try {
                        admin.removeSnapshot(new SnapshotRef(null, null, id));
                    } catch (NotFound e) {
                        // removed meanwhile: what was asked for
                    }
                }
            }
            return Csi.DeleteSnapshotResponse.getDefaultInstance();
        });
    }

    @Override
    public void listSnapshots(Csi.ListSnapshotsRequest req, StreamObserver<Csi.ListSnapshotsResponse> out) {
        Calls.answer(out, () -> {
            // A snapshot or volume id that names nothing lists nothing (the spec: not an error).
            List<SnapshotView> all = admin.snapshots(null).stream()
                    .filter(s -> req.getSnapshotId().isEmpty() || s.id().equals(req.getSnapshotId()))
                    .filter(s -> req.getSourceVolumeId().isEmpty() || s.volumeId().equals(req.getSourceVolumeId()))
                    .toList();
            Pages.Page<SnapshotView> page = Pages.of(all, SnapshotView::id, req.getMaxEntries(), req.getStartingToken());
            var b = Csi.ListSnapshotsResponse.newBuilder().setNextToken(page.nextToken());
            for (SnapshotView s : page.entries()) {
                b.addEntries(Csi.ListSnapshotsResponse.Entry.newBuilder().setSnapshot(snapshot(s)));
            }
            return b.build();
        });
    }

    @Override
    public void getSnapshot(Csi.GetSnapshotRequest req, StreamObserver<Csi.GetSnapshotResponse> out) {
        Calls.answer(out, () -> {
            String id = Calls.require(req.getSnapshotId(), "snapshot_id");
            SnapshotView s = snapshotById(id).orElseThrow(() -> new NotFound("snapshot " + Ids.shown(id) + " does not exist",
                    "list snapshots with ListSnapshots"));
            return Csi.GetSnapshotResponse.newBuilder().setSnapshot(snapshot(s)).build();
        });
    }

    /** The snapshot of that id: looked up by id, and only an id (a snapshot named like an id is not it). */
    private Optional<SnapshotView> snapshotById(String id) {
        if (!Ids.valid(id)) {
            return Optional.empty();
        }
        try {
            SnapshotView s = admin.inspectSnapshot(new SnapshotRef(null, null, id));
            return s.id().equals(id) ? Optional.of(s) : Optional.empty();
        } catch (NotFound e) {
            return Optional.empty();
        }
    }

    private static Csi.Snapshot snapshot(SnapshotView s) {
        return Csi.Snapshot.newBuilder().setSnapshotId(s.id()).setSourceVolumeId(s.volumeId()).setSizeBytes(s.sizeBytes())
                .setCreationTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(s.created().getEpochSecond())
                        .setNanos(s.created().getNano()))
                .setReadyToUse(true).build(); // cut and complete when the call returns: no post-processing
    }

    // ---- expansion --------------------------------------------------------------------------

    /**
     * Grows the volume (online: in all-in-one, a volume attached here is grown here at once).
     * Asking for no more than it has is OK and changes nothing; a limit below its size asks for a
     * shrink: OUT_OF_RANGE. A node that has the volume attached is asked to grow its device and
     * filesystem (node_expansion_required), which NodeExpandVolume does, idempotently.
     */
    @Override
    public void controllerExpandVolume(Csi.ControllerExpandVolumeRequest req,
                                       StreamObserver<Csi.ControllerExpandVolumeResponse> out) {
        Calls.answer(out, () -> {
            String id = Calls.require(req.getVolumeId(), "volume_id");
            if (!req.hasCapacityRange()) {
                throw Calls.invalid("capacity_range is missing");
            }
            try (InFlight.Slot ignored = inFlight.enter(id, "volume " + id, "ControllerExpandVolume")) {
                VolumeView v = (Ids.valid(id) ? control.byId(id) : Optional.<VolumeView>empty())
                        .orElseThrow(() -> missing(id));
                if (req.hasVolumeCapability()) {
                    checkCapabilities(v.service(), List.of(req.getVolumeCapability()));
                }
                long want = CapacityRanges.forExpand(req.getCapacityRange().getRequiredBytes(),
                        req.getCapacityRange().getLimitBytes(), v.sizeBytes());
                VolumeView grown = want == v.sizeBytes() ? v : expand(v, want);
                boolean blockDevices = services.require(v.service()).blockDevices();
                return Csi.ControllerExpandVolumeResponse.newBuilder().setCapacityBytes(grown.sizeBytes())
                        .setNodeExpansionRequired(blockDevices && grown.node() != null).build();
            }
        });
    }

    @Override
    public void controllerGetVolume(Csi.ControllerGetVolumeRequest req, StreamObserver<Csi.ControllerGetVolumeResponse> out) {
        Calls.answer(out, () -> {
            String id = Calls.require(req.getVolumeId(), "volume_id");
            VolumeView v = control.byId(id).orElseThrow(() -> missing(id));
            return Csi.ControllerGetVolumeResponse.newBuilder().setVolume(volume(v)).setStatus(
                    Csi.ControllerGetVolumeResponse.VolumeStatus.newBuilder()
                            .addAllPublishedNodeIds(v.node() == null ? List.of() : List.of(v.node()))
                            .setVolumeCondition(condition(v, aliveNodes()))).build();
        });
    }

    @Override
    public void getCapacity(Csi.GetCapacityRequest req, StreamObserver<Csi.GetCapacityResponse> out) {
        Calls.answer(out, () -> {
            String service = service(req.getParametersMap());
            ServiceInfo info = admin.services().stream().filter(s -> s.name().equals(service)).findFirst()
                    .orElseThrow(() -> new InvalidArgument("service " + service + " is not configured", ""));
            boolean fits = true;
            try {
                checkCapabilities(service, req.getVolumeCapabilitiesList());
                fsType(req.getParametersMap(), req.getVolumeCapabilitiesList());
            } catch (InvalidArgument | NotSupported e) {
                fits = false;
            }
            if (req.hasAccessibleTopology() && !zone.isEmpty()) {
                String z = req.getAccessibleTopology().getSegmentsMap().get(Topologies.ZONE);
                fits &= z == null || z.equals(zone);
            }
            long available = !fits ? 0 : info.headroomBytes() != null ? info.headroomBytes() : info.availableBytes();
            return Csi.GetCapacityResponse.newBuilder().setAvailableCapacity(available)
                    .setMaximumVolumeSize(com.google.protobuf.Int64Value.of(available))
                    .setMinimumVolumeSize(com.google.protobuf.Int64Value.of(Size.MIN_BYTES)).build();
        });
    }

    /**
     * Grows the volume; in all-in-one also its device and filesystem here. Once the volume is
     * grown, a filesystem that could not grow here (e.g. ext4 without CAP_SYS_RESOURCE) does not
     * fail the call: the controller's part is done, and NodeExpandVolume (asked for, and retried
     * by the orchestrator) or the next mount grows the filesystem.
     */
    private VolumeView expand(VolumeView v, long want) {
        VolumeRef ref = new VolumeRef(v.name(), v.service());
        try {
            return admin.expand(ref, Long.toString(want));
        } catch (dev.berth.core.error.BerthException e) {
            VolumeView now = control.byId(v.id()).orElseThrow(() -> e);
            if (now.sizeBytes() < want) {
                throw e;
            }
            LOG.warning("volume " + v.name() + " is grown to " + now.sizeBytes() + " bytes, but not yet on this node: "
                    + e.fullMessage());
            return now;
        }
    }

    private Csi.Volume volume(VolumeView v) {
        return Csi.Volume.newBuilder().setVolumeId(v.id()).setCapacityBytes(v.sizeBytes())
                .putVolumeContext(CTX_SERVICE, v.service()).putVolumeContext(CTX_NAME, v.name())
                .addAllAccessibleTopology(Topologies.of(zone)).build();
    }

    private static Csi.VolumeCondition condition(VolumeView v, Set<String> alive) {
        if (v.node() != null && !alive.contains(v.node())) {
            return Csi.VolumeCondition.newBuilder().setAbnormal(true).setMessage("node " + v.node()
                    + " holds the volume but its lease ended; it is taken over by the next node that asks for it "
                    + "(after the grace), or released by ControllerUnpublishVolume").build();
        }
        return Csi.VolumeCondition.newBuilder().setAbnormal(false).setMessage("").build();
    }

    private Set<String> aliveNodes() {
        return admin.nodes().stream().filter(n -> n.state().equals("alive")).map(NodeInfo::id).collect(Collectors.toSet());
    }

    private Optional<VolumeView> find(String name, String service) {
        try {
            return Optional.of(admin.inspect(new VolumeRef(name, service)));
        } catch (NotFound e) {
            return Optional.empty();
        }
    }

    private String service(Map<String, String> params) {
        for (String key : params.keySet()) {
            if (!key.equals(PARAM_SERVICE) && !key.equals(PARAM_FS_TYPE) && !key.startsWith(K8S_PREFIX)) {
                throw new InvalidArgument("parameter '" + Ids.shown(key) + "' is not one Berth knows",
                        "use only " + PARAM_SERVICE + " and " + PARAM_FS_TYPE);
            }
        }
        String s = params.get(PARAM_SERVICE);
        if (s == null || s.isEmpty()) {
            return services.defaultService();
        }
        services.require(s);
        return s;
    }

    /** The filesystem asked for: the capabilities' fs_type, else the fsType parameter; null for the default. */
    private static String fsType(Map<String, String> params, List<Csi.VolumeCapability> caps) {
        String fromCaps = null;
        for (Csi.VolumeCapability c : caps) {
            if (c.hasMount() && !c.getMount().getFsType().isEmpty()) {
                String fs = FsType.parse(c.getMount().getFsType()).id();
                if (fromCaps != null && !fromCaps.equals(fs)) {
                    throw new InvalidArgument("the volume capabilities ask for two filesystems, " + fromCaps + " and " + fs,
                            "ask for one");
                }
                fromCaps = fs;
            }
        }
        String param = params.get(PARAM_FS_TYPE);
        String fromParam = param == null || param.isEmpty() ? null : FsType.parse(param).id();
        if (fromCaps != null && fromParam != null && !fromCaps.equals(fromParam)) {
            throw new InvalidArgument("parameter fsType is " + fromParam + " but the capabilities ask for " + fromCaps,
                    "make them agree, or drop one");
        }
        return fromCaps != null ? fromCaps : fromParam;
    }

    private void checkCapabilities(String service, List<Csi.VolumeCapability> caps) {
        boolean blockDevices = services.require(service).blockDevices();
        for (Csi.VolumeCapability c : caps) {
            CsiAccess.of(c, false);
            if (c.hasBlock() && !blockDevices) {
                throw new NotSupported("service " + service + " (driver " + services.require(service).kind()
                        + ") keeps volumes as folders: it has no block volumes", "ask for a mount volume, or a loop service");
            }
        }
    }

    private static NotFound missing(String id) {
        return new NotFound("volume " + Ids.shown(id) + " does not exist", "list volumes with ListVolumes");
    }
}
