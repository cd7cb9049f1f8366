package dev.berth.csi;

import csi.v1.Csi;
import csi.v1.IdentityGrpc;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.Unavailable;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/**
 * CSI's Identity service: the plugin's name and version, what this process serves, and whether it
 * is ready. One Berth process answers for the services of its role (a controller: Identity and
 * Controller; an agent: Identity and Node; all-in-one: all three).
 */
public final class CsiIdentity extends IdentityGrpc.IdentityImplBase {
    /** The plugin name orchestrators register (a CSIDriver object's name in Kubernetes). */
    public static final String PLUGIN_NAME = "berth.dev";

    /** Throws the reason when this process cannot serve now; returns normally when it can. */
    @FunctionalInterface
    public interface Readiness {
        void check();
    }

    private final String version;
    private final boolean controller;
    private final boolean topology;
    private final Readiness readiness;

    /**
     * @param topology whether a zone is configured: only then are accessibility constraints
     *                 advertised (an orchestrator then expects a topology from every NodeGetInfo)
     */
    public CsiIdentity(String version, boolean controller, boolean topology, Readiness readiness) {
        this.version = java.util.Objects.requireNonNull(version, "version");
        this.controller = controller;
        this.topology = topology;
        this.readiness = readiness;
    }

    @Override
    public void getPluginInfo(Csi.GetPluginInfoRequest request, StreamObserver<Csi.GetPluginInfoResponse> out) {
        out.onNext(Csi.GetPluginInfoResponse.newBuilder().setName(PLUGIN_NAME).setVendorVersion(version).build());
        out.onCompleted();
    }

    @Override
    public void getPluginCapabilities(Csi.GetPluginCapabilitiesRequest request,
                                      StreamObserver<Csi.GetPluginCapabilitiesResponse> out) {
        var b = Csi.GetPluginCapabilitiesResponse.newBuilder();
        if (controller) {
            b.addCapabilities(service(Csi.PluginCapability.Service.Type.CONTROLLER_SERVICE));
        }
        if (topology) {
            b.addCapabilities(service(Csi.PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS));
        }
        // Volumes grow while in use (a loop device refreshed and its filesystem grown mounted), in every role.
        b.addCapabilities(Csi.PluginCapability.newBuilder().setVolumeExpansion(Csi.PluginCapability.VolumeExpansion
                .newBuilder().setType(Csi.PluginCapability.VolumeExpansion.Type.ONLINE)));
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void probe(Csi.ProbeRequest request, StreamObserver<Csi.ProbeResponse> out) {
        try {
            readiness.check();
        } catch (Unavailable e) {
            out.onError(Status.UNAVAILABLE.withDescription(e.fullMessage()).asRuntimeException());
            return;
        } catch (BerthException e) {
            out.onError(Status.FAILED_PRECONDITION.withDescription(e.fullMessage()).asRuntimeException());
            return;
        }
        out.onNext(Csi.ProbeResponse.newBuilder().setReady(com.google.protobuf.BoolValue.of(true)).build());
        out.onCompleted();
    }

    private static Csi.PluginCapability service(Csi.PluginCapability.Service.Type t) {
        return Csi.PluginCapability.newBuilder().setService(Csi.PluginCapability.Service.newBuilder().setType(t)).build();
    }
}
