package dev.berth.app.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import csi.v1.ControllerGrpc;
import csi.v1.Csi;
import csi.v1.Csi.VolumeCapability.AccessMode.Mode;
import csi.v1.IdentityGrpc;
import csi.v1.NodeGrpc;
import dev.berth.csi.CsiChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A CSI client over the real unix socket, as an orchestrator's sidecars speak it (blocking stubs,
 * {@code :authority localhost}), with the request builders the conformance tests share.
 */
final class CsiClient implements AutoCloseable {
    final CsiChannel channel;
    final IdentityGrpc.IdentityBlockingStub identity;
    final ControllerGrpc.ControllerBlockingStub controller;
    final NodeGrpc.NodeBlockingStub node;

    CsiClient(Path socket) {
        channel = CsiChannel.open(socket);
        // A deadline per call (a stub's withDeadlineAfter is one instant for every call it makes).
        io.grpc.Channel timed = io.grpc.ClientInterceptors.intercept(channel.channel(), new io.grpc.ClientInterceptor() {
            @Override
            public <Q, A> io.grpc.ClientCall<Q, A> interceptCall(io.grpc.MethodDescriptor<Q, A> method,
                                                                 io.grpc.CallOptions options, io.grpc.Channel next) {
                return next.newCall(method, options.withDeadlineAfter(2, TimeUnit.MINUTES));
            }
        });
        identity = IdentityGrpc.newBlockingStub(timed);
        controller = ControllerGrpc.newBlockingStub(timed);
        node = NodeGrpc.newBlockingStub(timed);
    }

    @Override
    public void close() {
        channel.close();
    }

    // ---- capabilities -----------------------------------------------------------------------

    static Csi.VolumeCapability mount(Mode mode, String... flags) {
        return Csi.VolumeCapability.newBuilder()
                .setMount(Csi.VolumeCapability.MountVolume.newBuilder().addAllMountFlags(List.of(flags)))
                .setAccessMode(Csi.VolumeCapability.AccessMode.newBuilder().setMode(mode)).build();
    }

    static Csi.VolumeCapability mountFs(Mode mode, String fsType) {
        return Csi.VolumeCapability.newBuilder()
                .setMount(Csi.VolumeCapability.MountVolume.newBuilder().setFsType(fsType))
                .setAccessMode(Csi.VolumeCapability.AccessMode.newBuilder().setMode(mode)).build();
    }

    static Csi.VolumeCapability block(Mode mode) {
        return Csi.VolumeCapability.newBuilder().setBlock(Csi.VolumeCapability.BlockVolume.getDefaultInstance())
                .setAccessMode(Csi.VolumeCapability.AccessMode.newBuilder().setMode(mode)).build();
    }

    static final Csi.VolumeCapability SNW = mount(Mode.SINGLE_NODE_WRITER);

    // ---- controller -------------------------------------------------------------------------

    static Csi.CreateVolumeRequest.Builder createReq(String name, long bytes, Csi.VolumeCapability cap) {
        return Csi.CreateVolumeRequest.newBuilder().setName(name)
                .setCapacityRange(Csi.CapacityRange.newBuilder().setRequiredBytes(bytes))
                .addVolumeCapabilities(cap).putParameters("service", "local");
    }

    Csi.Volume create(String name, long bytes, Csi.VolumeCapability cap) {
        return controller.createVolume(createReq(name, bytes, cap).build()).getVolume();
    }

    Csi.Volume create(String name) {
        return create(name, 64L << 20, SNW);
    }

    Map<String, String> controllerPublish(String id, String nodeId, Csi.VolumeCapability cap, boolean ro) {
        return controller.controllerPublishVolume(Csi.ControllerPublishVolumeRequest.newBuilder().setVolumeId(id)
                .setNodeId(nodeId).setVolumeCapability(cap).setReadonly(ro).build()).getPublishContextMap();
    }

    void controllerUnpublish(String id, String nodeId) {
        controller.controllerUnpublishVolume(Csi.ControllerUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                .setNodeId(nodeId).build());
    }

    void delete(String id) {
        controller.deleteVolume(Csi.DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
    }

    // ---- node -------------------------------------------------------------------------------

    static Csi.NodeStageVolumeRequest stageReq(String id, Path staging, Csi.VolumeCapability cap) {
        return Csi.NodeStageVolumeRequest.newBuilder().setVolumeId(id).setStagingTargetPath(staging.toString())
                .setVolumeCapability(cap).build();
    }

    void stage(String id, Path staging, Csi.VolumeCapability cap) {
        node.nodeStageVolume(stageReq(id, staging, cap));
    }

    void unstage(String id, Path staging) {
        node.nodeUnstageVolume(Csi.NodeUnstageVolumeRequest.newBuilder().setVolumeId(id)
                .setStagingTargetPath(staging.toString()).build());
    }

    static Csi.NodePublishVolumeRequest publishReq(String id, Path staging, Path target, Csi.VolumeCapability cap,
                                                   boolean ro) {
        return Csi.NodePublishVolumeRequest.newBuilder().setVolumeId(id).setStagingTargetPath(staging.toString())
                .setTargetPath(target.toString()).setVolumeCapability(cap).setReadonly(ro).build();
    }

    void publish(String id, Path staging, Path target, Csi.VolumeCapability cap, boolean ro) {
        node.nodePublishVolume(publishReq(id, staging, target, cap, ro));
    }

    void unpublish(String id, Path target) {
        node.nodeUnpublishVolume(Csi.NodeUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                .setTargetPath(target.toString()).build());
    }

    Csi.NodeGetVolumeStatsResponse stats(String id, Path path) {
        return node.nodeGetVolumeStats(Csi.NodeGetVolumeStatsRequest.newBuilder().setVolumeId(id)
                .setVolumePath(path.toString()).build());
    }

    // ---- assertions -------------------------------------------------------------------------

    /** Runs {@code call}, which must fail with {@code code}; returns the status (its message checked by callers). */
    static Status refused(Status.Code code, Supplier<?> call) {
        try {
            Object got = call.get();
            fail("expected " + code + ", got OK: " + got);
            return null;
        } catch (StatusRuntimeException e) {
            assertEquals(code, e.getStatus().getCode(), "status " + e.getStatus());
            assertEquals(0, e.getTrailers() == null ? 0 : e.getTrailers().keys().stream()
                    .filter(k -> k.equals("grpc-status-details-bin")).count(), "details must be empty");
            return e.getStatus();
        }
    }

    static Status refused(Status.Code code, Runnable call) {
        return refused(code, () -> {
            call.run();
            return "(no value)";
        });
    }

    /** Status code of a call: OK or the error's. */
    static Status.Code codeOf(Runnable call) {
        try {
            call.run();
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    /** How many mounts there are at exactly {@code path} (stacked mounts count each). */
    static long mountsAt(Path path) {
        try {
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .map(l -> l.split(" ")[4]).filter(mp -> mp.equals(path.toString())).count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The filesystem type of the last mount at {@code path}, or null. */
    static String fsTypeAt(Path path) {
        try {
            String type = null;
            for (String l : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = l.split(" ");
                if (f[4].equals(path.toString())) {
                    int sep = List.of(f).indexOf("-");
                    type = f[sep + 1];
                }
            }
            return type;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Mount options (per-mount) of the last mount at {@code path}, or null. */
    static String optionsAt(Path path) {
        try {
            String opts = null;
            for (String l : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = l.split(" ");
                if (f[4].equals(path.toString())) {
                    opts = f[5];
                }
            }
            return opts;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
