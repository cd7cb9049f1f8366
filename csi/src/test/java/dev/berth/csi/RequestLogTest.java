package dev.berth.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldOptions;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MessageOptions;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import csi.v1.Csi;
import csi.v1.IdentityGrpc;
import csi.v1.NodeGrpc;
import dev.berth.core.error.NotSupported;
import dev.berth.core.log.RequestIds;
import dev.berth.csi.testing.IdentityStub;
import dev.berth.csi.testing.LogCapture;
import dev.berth.csi.testing.SocketDir;
import io.grpc.BindableService;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The request log on a real server and socket, with the root logger at ALL. */
class RequestLogTest {
    private static final String SECRET = "hunter2-Sup3rS3cret";

    private final SocketDir dir = new SocketDir();
    private final NodeStub node = new NodeStub();
    private CsiServer server;
    private CsiChannel channel;

    /** Test-only Node service: publish records what it sees; stage and unpublish fail. */
    static final class NodeStub extends NodeGrpc.NodeImplBase {
        final AtomicReference<String> idSeen = new AtomicReference<>();
        final AtomicReference<String> idSeenOnAnotherThread = new AtomicReference<>();

        @Override
        public void nodePublishVolume(Csi.NodePublishVolumeRequest request, StreamObserver<Csi.NodePublishVolumeResponse> response) {
            idSeen.set(RequestIds.current().orElse(null));
            java.util.logging.Logger.getLogger("dev.berth.test.Service").info("publishing " + request.getVolumeId());
            response.onNext(Csi.NodePublishVolumeResponse.getDefaultInstance());
            response.onCompleted();
        }

        @Override
        public void nodeStageVolume(Csi.NodeStageVolumeRequest request, StreamObserver<Csi.NodeStageVolumeResponse> response) {
            throw new NotSupported("block volumes are not supported by driver dir", "use a loop service");
        }

        @Override
        public void nodeUnpublishVolume(Csi.NodeUnpublishVolumeRequest request, StreamObserver<Csi.NodeUnpublishVolumeResponse> response) {
            throw new IllegalStateException("boom");
        }
    }

    @BeforeEach
    void start() {
        server = CsiServer.start(new CsiEndpoint(dir.resolve("csi.sock")), List.<BindableService>of(new IdentityStub(), node),
                List.of(new RequestLog()));
        channel = CsiChannel.open(dir.resolve("csi.sock"));
    }

    @AfterEach
    void stop() {
        channel.close();
        server.close();
        dir.close();
    }

    private NodeGrpc.NodeBlockingStub nodeStub() {
        return NodeGrpc.newBlockingStub(channel.channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static List<String> infoLines(LogCapture logs) {
        return logs.records().stream().filter(r -> r.getLoggerName().equals(RequestLog.class.getName())
                && r.getLevel() == Level.INFO).map(LogRecord::getMessage).toList();
    }

    @Test
    void requestIdIsBoundInTheServiceAndLogged() {
        String seen;
        try (LogCapture logs = new LogCapture(Level.INFO)) {
            seen = IdentityGrpc.newBlockingStub(channel.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getPluginInfo(Csi.GetPluginInfoRequest.getDefaultInstance()).getVendorVersion();
            List<String> lines = infoLines(logs);
            assertEquals(1, lines.size(), lines.toString());
            Matcher m = Pattern.compile("^csi\\.v1\\.Identity/GetPluginInfo (c-[0-9a-f]{8}) -> OK \\d+ ms$").matcher(lines.get(0));
            assertTrue(m.matches(), lines.get(0));
            assertEquals(m.group(1), seen, "the service saw the id the log line names");
        }
        String next = IdentityGrpc.newBlockingStub(channel.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getPluginInfo(Csi.GetPluginInfoRequest.getDefaultInstance()).getVendorVersion();
        assertFalse(next.equals(seen), "every call gets its own id");
    }

    @Test
    void secretsNeverReachAnyLogLineAtAnyLevel() {
        Csi.NodePublishVolumeRequest request = Csi.NodePublishVolumeRequest.newBuilder()
                .setVolumeId("0123456789abcdef0123456789abcdef")
                .setTargetPath("/var/lib/kubelet/pods/p/volumes/x/mount")
                .setStagingTargetPath("/var/lib/kubelet/plugins/berth.dev/staging/x")
                .putSecrets("password", SECRET)
                .putSecrets("token-" + SECRET, "v")
                .putVolumeContext("berth.dev/name", "db")
                .setVolumeCapability(Csi.VolumeCapability.newBuilder()
                        .setMount(Csi.VolumeCapability.MountVolume.newBuilder().setFsType("ext4"))
                        .setAccessMode(Csi.VolumeCapability.AccessMode.newBuilder()
                                .setMode(Csi.VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER)))
                .build();
        try (LogCapture logs = new LogCapture(Level.ALL)) {
            nodeStub().nodePublishVolume(request);
            // And one so short that the secret lies in the first bytes of the HTTP/2 DATA frame,
            // which grpc-netty's frame loggers dump at FINE.
            nodeStub().nodePublishVolume(Csi.NodePublishVolumeRequest.newBuilder().putSecrets("p", SECRET).build());
            String all = logs.text();
            assertFalse(all.contains(SECRET), all);
            String hex = HexFormat.of().formatHex(SECRET.getBytes(StandardCharsets.UTF_8));
            assertFalse(all.toLowerCase().contains(hex), "no frame dump with the secret's bytes");
            String fine = logs.records().stream().filter(r -> r.getLevel() == Level.FINE
                    && r.getLoggerName().equals(RequestLog.class.getName())).map(LogRecord::getMessage).findFirst().orElseThrow();
            assertTrue(fine.contains("secrets: ***"), fine);
            assertTrue(fine.contains("fs_type: \"ext4\""), fine);
            assertTrue(fine.contains("mode: SINGLE_NODE_WRITER"), fine);
            assertTrue(fine.contains("\"berth.dev/name\": \"db\""), fine);
            String info = infoLines(logs).getFirst();
            assertTrue(info.startsWith("csi.v1.Node/NodePublishVolume c-"), info);
            assertTrue(info.contains(" volume_id=\"0123456789abcdef0123456789abcdef\""), info);
            assertTrue(info.contains(" target_path=\"/var/lib/kubelet/pods/p/volumes/x/mount\""), info);
            assertTrue(info.contains(" staging_target_path=\"/var/lib/kubelet/plugins/berth.dev/staging/x\""), info);
            assertTrue(info.endsWith(" ms") && info.contains(" -> OK "), info);
            // The service's own line was written with the id bound (the app's formatter prints it).
            String last = infoLines(logs).getLast();
            assertTrue(node.idSeen.get() != null && last.contains(" " + node.idSeen.get() + " "), last);
        }
    }

    @Test
    void controlCharactersAreEscaped() {
        try (LogCapture logs = new LogCapture(Level.FINE)) {
            nodeStub().nodePublishVolume(Csi.NodePublishVolumeRequest.newBuilder()
                    .setVolumeId("v").setTargetPath("/tmp/x\nFAKE 2026 SEVERE injected\r\u0007").build());
            for (String line : logs.records().stream().filter(r -> r.getLoggerName().equals(RequestLog.class.getName()))
                    .map(LogRecord::getMessage).toList()) {
                assertFalse(line.contains("\n") || line.contains("\r") || line.contains("\u0007"), line);
                assertTrue(line.contains("/tmp/x\\nFAKE 2026 SEVERE injected\\r\\u0007"), line);
            }
        }
    }

    @Test
    void escapingExceptionsBecomeStatuses() {
        try (LogCapture logs = new LogCapture(Level.INFO)) {
            StatusRuntimeException notSupported = assertThrows(StatusRuntimeException.class,
                    () -> nodeStub().nodeStageVolume(Csi.NodeStageVolumeRequest.newBuilder().setVolumeId("v1").build()));
            assertEquals(Status.Code.FAILED_PRECONDITION, notSupported.getStatus().getCode(), "NotSupported on a Node call");
            assertEquals("block volumes are not supported by driver dir (use a loop service)", notSupported.getStatus().getDescription());

            StatusRuntimeException boom = assertThrows(StatusRuntimeException.class,
                    () -> nodeStub().nodeUnpublishVolume(Csi.NodeUnpublishVolumeRequest.newBuilder().setVolumeId("v2").build()));
            assertEquals(Status.Code.INTERNAL, boom.getStatus().getCode());
            assertEquals("java.lang.IllegalStateException: boom", boom.getStatus().getDescription());

            List<String> lines = infoLines(logs);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("csi.v1.Node/NodeStageVolume c-") && l.contains("volume_id=\"v1\"")
                    && l.contains(" -> FAILED_PRECONDITION ")), lines.toString());
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("csi.v1.Node/NodeUnpublishVolume c-")
                    && l.contains(" -> INTERNAL ")), lines.toString());
            assertTrue(logs.records().stream().anyMatch(r -> r.getLevel() == Level.WARNING && r.getThrown() != null
                    && "boom".equals(r.getThrown().getMessage())), "the unexpected error is logged with its stack");
            // Unimplemented RPCs are logged too.
            assertThrows(StatusRuntimeException.class, () -> nodeStub().nodeGetInfo(Csi.NodeGetInfoRequest.getDefaultInstance()));
            assertTrue(infoLines(logs).stream().anyMatch(l -> l.startsWith("csi.v1.Node/NodeGetInfo c-") && l.contains(" -> UNIMPLEMENTED ")));
        }
    }

    @Test
    void redactionWalksNestedMessagesAndMaps() throws Exception {
        // CSI's own secrets are top-level maps; a newer spec may nest them. A message built here:
        // Outer { Inner inner = 1; map<string, Inner> by_name = 2; repeated Inner list = 3; string note = 4; }
        // Inner { string token = 1 [(csi.v1.csi_secret) = true]; string label = 2; }
        FieldOptions secret = FieldOptions.newBuilder().setExtension(Csi.csiSecret, true).build();
        DescriptorProto inner = DescriptorProto.newBuilder().setName("Inner")
                .addField(FieldDescriptorProto.newBuilder().setName("token").setNumber(1)
                        .setType(FieldDescriptorProto.Type.TYPE_STRING).setOptions(secret))
                .addField(FieldDescriptorProto.newBuilder().setName("label").setNumber(2)
                        .setType(FieldDescriptorProto.Type.TYPE_STRING)).build();
        DescriptorProto entry = DescriptorProto.newBuilder().setName("ByNameEntry")
                .setOptions(MessageOptions.newBuilder().setMapEntry(true))
                .addField(FieldDescriptorProto.newBuilder().setName("key").setNumber(1).setType(FieldDescriptorProto.Type.TYPE_STRING))
                .addField(FieldDescriptorProto.newBuilder().setName("value").setNumber(2)
                        .setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(".t.Inner")).build();
        DescriptorProto outer = DescriptorProto.newBuilder().setName("Outer").addNestedType(entry)
                .addField(FieldDescriptorProto.newBuilder().setName("inner").setNumber(1)
                        .setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(".t.Inner"))
                .addField(FieldDescriptorProto.newBuilder().setName("by_name").setNumber(2)
                        .setLabel(FieldDescriptorProto.Label.LABEL_REPEATED)
                        .setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(".t.Outer.ByNameEntry"))
                .addField(FieldDescriptorProto.newBuilder().setName("list").setNumber(3)
                        .setLabel(FieldDescriptorProto.Label.LABEL_REPEATED)
                        .setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(".t.Inner"))
                .addField(FieldDescriptorProto.newBuilder().setName("note").setNumber(4)
                        .setType(FieldDescriptorProto.Type.TYPE_STRING)).build();
        FileDescriptor file = FileDescriptor.buildFrom(FileDescriptorProto.newBuilder().setName("t.proto").setPackage("t")
                .setSyntax("proto3").addDependency("csi.proto").addMessageType(inner).addMessageType(outer).build(),
                new FileDescriptor[] {Csi.getDescriptor()});
        Descriptor innerType = file.findMessageTypeByName("Inner");
        Descriptor outerType = file.findMessageTypeByName("Outer");
        DynamicMessage one = DynamicMessage.newBuilder(innerType)
                .setField(innerType.findFieldByName("token"), SECRET)
                .setField(innerType.findFieldByName("label"), "l1").build();
        Descriptor entryType = outerType.findNestedTypeByName("ByNameEntry");
        DynamicMessage mapEntry = DynamicMessage.newBuilder(entryType)
                .setField(entryType.findFieldByName("key"), "k").setField(entryType.findFieldByName("value"), one).build();
        DynamicMessage msg = DynamicMessage.newBuilder(outerType)
                .setField(outerType.findFieldByName("inner"), one)
                .addRepeatedField(outerType.findFieldByName("by_name"), mapEntry)
                .addRepeatedField(outerType.findFieldByName("list"), one)
                .setField(outerType.findFieldByName("note"), "a\nb").build();
        String text = RequestLog.redacted(msg);
        assertFalse(text.contains(SECRET), text);
        assertEquals("{inner: {token: ***, label: \"l1\"}, by_name: {\"k\": {token: ***, label: \"l1\"}},"
                + " list: [{token: ***, label: \"l1\"}], note: \"a\\nb\"}", text);
    }
}
