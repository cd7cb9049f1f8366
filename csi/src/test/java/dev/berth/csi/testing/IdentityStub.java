package dev.berth.csi.testing;

import csi.v1.Csi;
import csi.v1.IdentityGrpc;
import dev.berth.core.log.RequestIds;
import io.grpc.stub.StreamObserver;

/**
 * A test-only Identity service: GetPluginInfo answers name {@code test.berth.dev} and, as
 * vendor_version, the request id bound while the call runs (empty when none), so tests see what
 * the service code sees.
 */
public final class IdentityStub extends IdentityGrpc.IdentityImplBase {
    public static final String NAME = "test.berth.dev";

    @Override
    public void getPluginInfo(Csi.GetPluginInfoRequest request, StreamObserver<Csi.GetPluginInfoResponse> response) {
        response.onNext(Csi.GetPluginInfoResponse.newBuilder()
                .setName(NAME)
                .setVendorVersion(RequestIds.current().orElse(""))
                .build());
        response.onCompleted();
    }

    @Override
    public void probe(Csi.ProbeRequest request, StreamObserver<Csi.ProbeResponse> response) {
        response.onNext(Csi.ProbeResponse.newBuilder().setReady(com.google.protobuf.BoolValue.of(true)).build());
        response.onCompleted();
    }
}
