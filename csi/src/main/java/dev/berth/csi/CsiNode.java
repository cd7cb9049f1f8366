package dev.berth.csi;

import csi.v1.Csi;
import csi.v1.NodeGrpc;
import dev.berth.core.node.PathVolumes;
import dev.berth.core.service.CallerPaths;
import dev.berth.core.service.VolumeStats;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.List;

/**
 * CSI's Node service over this node's {@link PathVolumes}: stage = mount at Berth's own mount point
 * plus a bind onto the staging path (block volumes: attach only), publish = a bind onto the target
 * path (a block volume's device node onto a file). Expand = grow the device and the mounted
 * filesystem online (a block volume's device is only refreshed).
 */
public final class CsiNode extends NodeGrpc.NodeImplBase {
    private final PathVolumes volumes;
    private final String nodeId;
    private final CallerPaths paths;
    private final String zone;
    private final long maxVolumes;
    private final InFlight inFlight = new InFlight();

    /**
     * @param zone       this node's zone ({@code csi.zone}); empty for none
     * @param maxVolumes what NodeGetInfo reports as max_volumes_per_node (0: the orchestrator decides)
     */
    public CsiNode(PathVolumes volumes, String nodeId, CallerPaths paths, String zone, long maxVolumes) {
        if (maxVolumes < 0) {
            throw new IllegalArgumentException("maxVolumes " + maxVolumes);
        }
        this.volumes = volumes;
        this.nodeId = nodeId;
        this.paths = paths;
        this.zone = zone == null ? "" : zone;
        this.maxVolumes = maxVolumes;
    }

    @Override
    public void nodeGetCapabilities(Csi.NodeGetCapabilitiesRequest request, StreamObserver<Csi.NodeGetCapabilitiesResponse> out) {
        Calls.answerNode(out, () -> {
            var b = Csi.NodeGetCapabilitiesResponse.newBuilder();
            for (var t : List.of(Csi.NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME,
                    Csi.NodeServiceCapability.RPC.Type.GET_VOLUME_STATS,
                    Csi.NodeServiceCapability.RPC.Type.VOLUME_CONDITION,
                    Csi.NodeServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER,
                    Csi.NodeServiceCapability.RPC.Type.EXPAND_VOLUME)) {
                b.addCapabilities(Csi.NodeServiceCapability.newBuilder()
                        .setRpc(Csi.NodeServiceCapability.RPC.newBuilder().setType(t)));
            }
            return b.build();
        });
    }

    @Override
    public void nodeGetInfo(Csi.NodeGetInfoRequest request, StreamObserver<Csi.NodeGetInfoResponse> out) {
        Calls.answerNode(out, () -> {
            var b = Csi.NodeGetInfoResponse.newBuilder().setNodeId(nodeId).setMaxVolumesPerNode(maxVolumes);
            Topologies.of(zone).forEach(b::setAccessibleTopology);
            return b.build();
        });
    }

    @Override
    public void nodeStageVolume(Csi.NodeStageVolumeRequest req, StreamObserver<Csi.NodeStageVolumeResponse> out) {
        Calls.answerNode(out, () -> {
            String id = Calls.require(req.getVolumeId(), "volume_id");
            Path staging = paths.check("staging_target_path", req.getStagingTargetPath());
            if (!req.hasVolumeCapability()) {
                throw Calls.invalid("volume_capability is missing");
            }
            var access = CsiAccess.of(req.getVolumeCapability(), false);
            try (InFlight.Slot ignored = inFlight.enter(id, "volume " + id, "NodeStageVolume")) {
                volumes.stage(id, staging, access);
            }
            return Csi.NodeStageVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void nodeUnstageVolume(Csi.NodeUnstageVolumeRequest req, StreamObserver<Csi.NodeUnstageVolumeResponse> out) {
        Calls.answerNode(out, () -> {
            String id = Calls.require(req.getVolumeId(), "volume_id");
            Path staging = paths.check("staging_target_path", req.getStagingTargetPath());
            try (InFlight.Slot ignored = inFlight.enter(id, "volume " + id, "NodeUnstageVolume")) {
                volumes.unstage(id, staging);
            }
            return Csi.NodeUnstageVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void nodePublishVolume(Csi.NodePublishVolumeRequest req, StreamObserver<Csi.NodePublishVolumeResponse> out) {
        Calls.answerNode(out, () -> {
            String id = Calls.require(req.getVolumeId(), "volume_id");
            Path target = paths.check("target_path", req.getTargetPath());
            if (!req.hasVolumeCapability()) {
                throw Calls.invalid("volume_capability is missing");
            }
            if (req.getStagingTargetPath().isEmpty()) {
                throw io.grpc.Status.FAILED_PRECONDITION.withDescription("staging_target_path is missing: this plugin "
                        + "stages volumes (STAGE_UNSTAGE_VOLUME), so NodeStageVolume comes first").asRuntimeException();
            }
            Path staging = paths.check("staging_target_path", req.getStagingTargetPath());
            var access = CsiAccess.of(req.getVolumeCapability(), req.getReadonly());
            try (InFlight.Slot ignored = inFlight.enter(id, "volume " + id, "NodePublishVolume")) {
                volumes.publish(id, staging, target, access);
            }
            return Csi.NodePublishVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void nodeUnpublishVolume(Csi.NodeUnpublishVolumeRequest req, StreamObserver<Csi.NodeUnpublishVolumeResponse> out) {
        Calls.answerNode(out, () -> {
            String id = Calls.require(req.getVolumeId(), "volume_id");
            Path target = paths.check("target_path", req.getTargetPath());
            try (InFlight.Slot ignored = inFlight.enter(id, "volume " + id, "NodeUnpublishVolume")) {
                volumes.unpublish(id, target);
            }
            return Csi.NodeUnpublishVolumeResponse.getDefaultInstance();
        });
    }

    /** A volume_path as stats and expand take it: one Berth would refuse to mount on holds no volume. */
    private Path volumePath(String raw) {
        Calls.require(raw, "volume_path");
        try {
            return paths.check("volume_path", raw);
        } catch (dev.berth.core.error.InvalidArgument e) {
            throw new dev.berth.core.error.NotFound("no volume is at " + e.getMessage(), "pass the volume's target path");
        }
    }

    @Override
    public void nodeGetVolumeStats(Csi.NodeGetVolumeStatsRequest req, StreamObserver<Csi.NodeGetVolumeStatsResponse> out) {
        Calls.answerNode(out, () -> {
            String id = Calls.require(req.getVolumeId(), "volume_id");
            Path path = volumePath(req.getVolumePath());
            VolumeStats s = volumes.stats(id, path);
            var b = Csi.NodeGetVolumeStatsResponse.newBuilder().setVolumeCondition(Csi.VolumeCondition.newBuilder()
                    .setAbnormal(s.abnormal()).setMessage(s.message()));
            if (s.filesystem() != null) {
                var fs = s.filesystem();
                b.addUsage(Csi.VolumeUsage.newBuilder().setUnit(Csi.VolumeUsage.Unit.BYTES)
                        .setTotal(fs.totalBytes()).setAvailable(fs.availableBytes()).setUsed(fs.usedBytes()));
                b.addUsage(Csi.VolumeUsage.newBuilder().setUnit(Csi.VolumeUsage.Unit.INODES)
                        .setTotal(fs.totalInodes()).setAvailable(fs.freeInodes()).setUsed(fs.totalInodes() - fs.freeInodes()));
            } else if (s.block()) {
                b.addUsage(Csi.VolumeUsage.newBuilder().setUnit(Csi.VolumeUsage.Unit.BYTES).setTotal(s.sizeBytes()));
            }
            return b.build();
        });
    }

    @Override
    public void nodeExpandVolume(Csi.NodeExpandVolumeRequest req, StreamObserver<Csi.NodeExpandVolumeResponse> out) {
        Calls.answerNode(out, () -> {
            String id = Calls.require(req.getVolumeId(), "volume_id");
            Path path = volumePath(req.getVolumePath());
            long required = req.getCapacityRange().getRequiredBytes();
            long limit = req.getCapacityRange().getLimitBytes();
            if (required < 0 || limit < 0) {
                throw Calls.invalid("capacity_range has negative bytes");
            }
            Boolean block = null;
            if (req.hasVolumeCapability()) {
                block = CsiAccess.of(req.getVolumeCapability(), false).block();
            }
            long size;
            try (InFlight.Slot ignored = inFlight.enter(id, "volume " + id, "NodeExpandVolume")) {
                size = volumes.expand(id, path, block);
            }
            // The controller grows the volume; a node grows only what the volume already has.
            if (required > size) {
                throw Calls.outOfRange("volume " + id + " has " + size + " bytes, less than the " + required
                        + " required: grow it with ControllerExpandVolume first");
            }
            if (limit > 0 && size > limit) {
                throw Calls.outOfRange("volume " + id + " has " + size + " bytes, more than the limit of " + limit
                        + " bytes, and volumes never shrink");
            }
            return Csi.NodeExpandVolumeResponse.newBuilder().setCapacityBytes(size).build();
        });
    }
}
