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
import dev.berth.core.service.VolumeAdmin;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.service.VolumeView;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * CSI's Controller service over Berth's controller: volumes by id, and publish/unpublish as the
 * claim a node's attach takes (so a volume published to one node through CSI is refused to Docker
 * on another, and the other way round). Snapshots, clones and expansion are not advertised yet
 * and answer UNIMPLEMENTED.
 */
public final class CsiController extends ControllerGrpc.ControllerImplBase {
    static final String PARAM_SERVICE = "service";
    static final String PARAM_FS_TYPE = "fsType";
    /** Parameters Kubernetes' external-provisioner adds (PVC name, namespace, …): not Berth's to judge. */
    static final String K8S_PREFIX = "csi.storage.k8s.io/";
    static final String CTX_SERVICE = "berth.dev/service";
    static final String CTX_NAME = "berth.dev/name";
    static final String PUBLISH_EPOCH = "berth.dev/epoch";
    private static final String TOKEN_PREFIX = "v1.";
    private static final long ALIGN = 4096;

    private final VolumeAdmin admin;
    private final PublishControl control;
    private final ServiceRegistry services;
    private final String zone;
    private final InFlight inFlight = new InFlight();
    private final long defaultSize;

    /**
     * @param zone        the zone of this controller's pools ({@code csi.zone}); empty for none
     * @param defaultSize the size of a volume whose capacity range names none (volumes.defaultSize)
     */
    public CsiController(VolumeAdmin admin, PublishControl control, ServiceRegistry services, String zone,
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
                    Csi.ControllerServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER)) {
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
            if (req.hasVolumeContentSource()) {
                throw new NotSupported("creating a volume from a snapshot or another volume is not supported yet",
                        "create an empty volume (no volume_content_source)");
            }
            String service = service(req.getParametersMap());
            String fs = fsType(req.getParametersMap(), req.getVolumeCapabilitiesList());
            checkCapabilities(service, req.getVolumeCapabilitiesList());
            if (req.hasAccessibilityRequirements() && !Topologies.satisfies(zone, req.getAccessibilityRequirements())) {
                throw new OutOfCapacity("Berth's pools here are in zone " + zone + ", which none of the requisite "
                        + "topologies names", "ask for " + Topologies.ZONE + "=" + zone + ", or use a controller of that zone");
            }
            long required = req.getCapacityRange().getRequiredBytes();
            long limit = req.getCapacityRange().getLimitBytes();
            long size = size(required, limit);
            try (InFlight.Slot ignored = inFlight.enter("name:" + service + "/" + name, "volume " + name, "CreateVolume")) {
                Optional<VolumeView> existing = find(name, service);
                if (existing.isPresent()) {
                    VolumeView v = existing.get();
                    boolean sizeFits = v.sizeBytes() >= required && (limit == 0 || v.sizeBytes() <= limit);
                    boolean fsFits = fs == null || fs.equals(v.fsType());
                    if (!sizeFits || !fsFits) {
                        throw new AlreadyExists("volume " + name + " exists with " + Size.format(v.sizeBytes()) + " "
                                + v.fsType() + ", which does not match this request",
                                "use another name, or ask for what it has");
                    }
                    return Csi.CreateVolumeResponse.newBuilder().setVolume(volume(v)).build();
                }
                VolumeView v = admin.create(new CreateVolume(name, service, Long.toString(size), fs, Map.of()));
                return Csi.CreateVolumeResponse.newBuilder().setVolume(volume(v)).build();
            }
        });
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
            if (req.getMaxEntries() < 0) {
                throw Calls.invalid("max_entries is negative");
            }
            String after = req.getStartingToken().isEmpty() ? null : tokenId(req.getStartingToken());
            List<VolumeView> all = new ArrayList<>(admin.list(null));
            all.sort(Comparator.comparing(VolumeView::id));
            Set<String> alive = aliveNodes();
            var b = Csi.ListVolumesResponse.newBuilder();
            int max = req.getMaxEntries() == 0 ? Integer.MAX_VALUE : req.getMaxEntries();
            String last = null;
            boolean more = false;
            for (VolumeView v : all) {
                if (after != null && v.id().compareTo(after) <= 0) {
                    continue;
                }
                if (b.getEntriesCount() == max) {
                    more = true;
                    break;
                }
                b.addEntries(Csi.ListVolumesResponse.Entry.newBuilder().setVolume(volume(v)).setStatus(
                        Csi.ListVolumesResponse.VolumeStatus.newBuilder()
                                .addAllPublishedNodeIds(v.node() == null ? List.of() : List.of(v.node()))
                                .setVolumeCondition(condition(v, alive))));
                last = v.id();
            }
            if (more) {
                b.setNextToken(token(last));
            }
            return b.build();
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
                throw new InvalidArgument("parameter '" + shown(key) + "' is not one Berth knows",
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

    /** The size for a capacity range: the required bytes (4 KiB-aligned), else the default within the limit. */
    private long size(long required, long limit) {
        if (required < 0 || limit < 0) {
            throw Calls.invalid("capacity_range has negative bytes");
        }
        if (limit > 0 && required > limit) {
            throw Calls.outOfRange("capacity_range asks for at least " + required + " and at most " + limit + " bytes");
        }
        long size = required > 0 ? required : Size.MIN_BYTES;
        if (required == 0) {
            long def = defaultSize;
            size = limit > 0 ? Math.min(def, limit) : def;
        }
        size = Math.max(size, Size.MIN_BYTES);
        if (size > Long.MAX_VALUE - ALIGN) {
            throw Calls.outOfRange("capacity_range asks for more bytes than Berth can address");
        }
        size = (size + ALIGN - 1) / ALIGN * ALIGN;
        if (limit > 0 && size > limit) {
            throw Calls.outOfRange("the smallest volume Berth makes is " + Size.format(Size.MIN_BYTES)
                    + " (4 KiB-aligned), above the limit of " + limit + " bytes");
        }
        return size;
    }

    private static String token(String id) {
        return TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(id.getBytes(StandardCharsets.UTF_8));
    }

    private static String tokenId(String token) {
        if (token.startsWith(TOKEN_PREFIX)) {
            try {
                String id = new String(Base64.getUrlDecoder().decode(token.substring(TOKEN_PREFIX.length())),
                        StandardCharsets.UTF_8);
                if (id.matches("[0-9a-f]{1,64}")) {
                    return id;
                }
            } catch (IllegalArgumentException e) {
                // falls through to ABORTED
            }
        }
        throw io.grpc.Status.ABORTED.withDescription("starting_token '" + shown(token) + "' is not a token this "
                + "plugin gave out; start the listing again without one").asRuntimeException();
    }

    private static NotFound missing(String id) {
        return new NotFound("volume " + shown(id) + " does not exist", "list volumes with ListVolumes");
    }

    private static String shown(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "…" : s;
    }
}
