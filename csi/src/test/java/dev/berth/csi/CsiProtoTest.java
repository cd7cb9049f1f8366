package dev.berth.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.ExtensionRegistry;
import com.google.protobuf.TextFormat;
import csi.v1.Csi;
import csi.v1.ControllerGrpc;
import csi.v1.IdentityGrpc;
import csi.v1.NodeGrpc;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** csi.proto against CSI v1.12.0, checked from the descriptors the generated classes carry. */
class CsiProtoTest {

    private static ExtensionRegistry registry() {
        ExtensionRegistry r = ExtensionRegistry.newInstance();
        Csi.registerAllExtensions(r);
        return r;
    }

    /** protoc's own descriptor of src/main/proto/csi.proto (written by the build, see csi/pom.xml). */
    private static FileDescriptorProto specProto() throws Exception {
        try (InputStream in = CsiProtoTest.class.getResourceAsStream("/csi-spec.desc")) {
            FileDescriptorSet set = FileDescriptorSet.parseFrom(in, registry());
            return set.getFileList().stream().filter(f -> f.getName().equals("csi.proto")).findFirst().orElseThrow();
        }
    }

    private static FileDescriptorProto withoutJsonNames(FileDescriptorProto file) {
        FileDescriptorProto.Builder b = file.toBuilder();
        b.getMessageTypeBuilderList().forEach(CsiProtoTest::clearJson);
        b.getExtensionBuilderList().forEach(f -> f.clearJsonName());
        return b.build();
    }

    private static void clearJson(DescriptorProto.Builder m) {
        m.getFieldBuilderList().forEach(f -> f.clearJsonName());
        m.getNestedTypeBuilderList().forEach(CsiProtoTest::clearJson);
    }

    @Test
    void runtimeDescriptorIsTheSpecProto() throws Exception {
        // The Java is generated from a copy with mutable_parameters renamed; the runtime descriptor
        // must be the spec file's all the same (names, numbers, types, options).
        FileDescriptorProto runtime = FileDescriptorProto.parseFrom(Csi.getDescriptor().toProto().toByteArray(), registry());
        assertEquals(withoutJsonNames(specProto()), withoutJsonNames(runtime));
    }

    @Test
    void mutableParametersTravelUnderTheSpecName() throws Exception {
        Csi.CreateVolumeRequest request = Csi.CreateVolumeRequest.newBuilder()
                .setName("pvc-1").putParameters("service", "db").putMutableParameters8("iops", "100").build();
        FileDescriptor spec = FileDescriptor.buildFrom(specProto(), new FileDescriptor[] {
            com.google.protobuf.DescriptorProtos.getDescriptor(),
            com.google.protobuf.TimestampProto.getDescriptor(),
            com.google.protobuf.WrappersProto.getDescriptor()});
        Descriptor type = spec.findMessageTypeByName("CreateVolumeRequest");
        DynamicMessage decoded = DynamicMessage.parseFrom(type, request.toByteString());
        FieldDescriptor mutable = type.findFieldByName("mutable_parameters");
        assertEquals(8, mutable.getNumber());
        assertEquals(1, decoded.getRepeatedFieldCount(mutable));
        assertEquals("db", Csi.CreateVolumeRequest.parseFrom(decoded.toByteString()).getParametersOrThrow("service"));
        assertTrue(TextFormat.printer().printToString(request).contains("mutable_parameters {"));
        assertEquals("100", Csi.CreateVolumeRequest.parseFrom(request.toByteString()).getMutableParameters8OrThrow("iops"));
    }

    private static void field(Descriptor type, String name, int number) {
        FieldDescriptor f = type.findFieldByName(name);
        assertEquals(number, f == null ? -1 : f.getNumber(), type.getName() + "." + name);
    }

    @Test
    void fieldNumbersAsInTheSpec() {
        Descriptor create = Csi.CreateVolumeRequest.getDescriptor();
        field(create, "name", 1);
        field(create, "capacity_range", 2);
        field(create, "volume_capabilities", 3);
        field(create, "parameters", 4);
        field(create, "secrets", 5);
        field(create, "volume_content_source", 6);
        field(create, "accessibility_requirements", 7);
        field(create, "mutable_parameters", 8);

        Descriptor publish = Csi.NodePublishVolumeRequest.getDescriptor();
        field(publish, "volume_id", 1);
        field(publish, "publish_context", 2);
        field(publish, "staging_target_path", 3);
        field(publish, "target_path", 4);
        field(publish, "volume_capability", 5);
        field(publish, "readonly", 6);
        field(publish, "secrets", 7);
        field(publish, "volume_context", 8);
        assertTrue(publish.findFieldByName("secrets").getOptions().getExtension(Csi.csiSecret));
        assertFalse(publish.findFieldByName("target_path").getOptions().getExtension(Csi.csiSecret));

        field(Csi.NodeStageVolumeRequest.getDescriptor(), "staging_target_path", 3);
        field(Csi.ListVolumesRequest.getDescriptor(), "starting_token", 2);
        field(Csi.NodeGetInfoResponse.getDescriptor(), "accessible_topology", 3);
        field(Csi.ControllerPublishVolumeRequest.getDescriptor(), "readonly", 4);

        assertEquals(15, Csi.ControllerServiceCapability.RPC.Type.GET_SNAPSHOT.getNumber());
        assertEquals(14, Csi.ControllerServiceCapability.RPC.Type.MODIFY_VOLUME.getNumber());
        assertEquals(7, Csi.VolumeCapability.AccessMode.Mode.SINGLE_NODE_MULTI_WRITER.getNumber());
        assertEquals(6, Csi.VolumeCapability.AccessMode.Mode.SINGLE_NODE_SINGLE_WRITER.getNumber());
        assertEquals(6, Csi.NodeServiceCapability.RPC.Type.VOLUME_MOUNT_GROUP.getNumber());
    }

    @Test
    void customOptionsAsInTheSpec() {
        assertEquals(1059, Csi.csiSecret.getDescriptor().getNumber());
        for (var ext : List.of(Csi.alphaEnum, Csi.alphaEnumValue, Csi.alphaField, Csi.alphaMessage, Csi.alphaMethod, Csi.alphaService)) {
            assertEquals(1060, ext.getDescriptor().getNumber(), ext.getDescriptor().getName());
        }
        assertTrue(Csi.ControllerGetVolumeRequest.getDescriptor().getOptions().getExtension(Csi.alphaMessage));
        assertTrue(Csi.getDescriptor().findServiceByName("SnapshotMetadata").getOptions().getExtension(Csi.alphaService));
        assertTrue(Csi.getDescriptor().findServiceByName("Controller").findMethodByName("GetSnapshot")
                .getOptions().getExtension(Csi.alphaMethod));
        assertTrue(Csi.VolumeCapability.AccessMode.Mode.SINGLE_NODE_MULTI_WRITER.getValueDescriptor()
                .getOptions().getExtension(Csi.alphaEnumValue));
    }

    private static List<String> methods(io.grpc.ServiceDescriptor service) {
        return service.getMethods().stream().map(m -> m.getBareMethodName()).sorted().toList();
    }

    @Test
    void serviceMethodsAsInTheSpec() {
        assertEquals(List.of("GetPluginCapabilities", "GetPluginInfo", "Probe"), methods(IdentityGrpc.getServiceDescriptor()));
        assertEquals(List.of("ControllerExpandVolume", "ControllerGetCapabilities", "ControllerGetVolume",
                "ControllerModifyVolume", "ControllerPublishVolume", "ControllerUnpublishVolume", "CreateSnapshot",
                "CreateVolume", "DeleteSnapshot", "DeleteVolume", "GetCapacity", "GetSnapshot", "ListSnapshots",
                "ListVolumes", "ValidateVolumeCapabilities"), methods(ControllerGrpc.getServiceDescriptor()));
        assertEquals(List.of("NodeExpandVolume", "NodeGetCapabilities", "NodeGetInfo", "NodeGetVolumeStats",
                "NodePublishVolume", "NodeStageVolume", "NodeUnpublishVolume", "NodeUnstageVolume"),
                methods(NodeGrpc.getServiceDescriptor()));
        assertEquals("csi.v1.Node", NodeGrpc.SERVICE_NAME);
    }
}
