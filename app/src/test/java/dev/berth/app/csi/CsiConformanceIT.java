package dev.berth.app.csi;

import static dev.berth.app.csi.CsiClient.SNW;
import static dev.berth.app.csi.CsiClient.block;
import static dev.berth.app.csi.CsiClient.codeOf;
import static dev.berth.app.csi.CsiClient.createReq;
import static dev.berth.app.csi.CsiClient.fsTypeAt;
import static dev.berth.app.csi.CsiClient.mount;
import static dev.berth.app.csi.CsiClient.mountsAt;
import static dev.berth.app.csi.CsiClient.publishReq;
import static dev.berth.app.csi.CsiClient.refused;
import static dev.berth.app.csi.CsiClient.stageReq;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.Csi;
import csi.v1.Csi.VolumeCapability.AccessMode.Mode;
import dev.berth.app.testing.LocalBerth;
import dev.berth.app.testing.Sys;
import dev.berth.host.testing.Root;
import io.grpc.Status;
import io.grpc.Status.Code;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Berth's own CSI conformance suite: an all-in-one Berth in this JVM (a loop service {@code local}
 * and a dir service {@code scratch}), spoken to over its real CSI unix socket, on real loop devices
 * and mounts. The orchestrator's folders (staging and target paths) are under {@code co/}. Written
 * against the spec's tables (v1.12.0) and the design's conventions (CSI-DESIGN.md).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CsiConformanceIT {
    static final String NODE = "csi-node";
    static final String ZONE = "zone-a";
    static final String ZONE_KEY = "topology.berth.dev/zone";
    static final long MIB = 1L << 20;
    /** A logger the test holds, so the level it sets is not lost to the GC. */
    static final Logger BERTH_LOGS = Logger.getLogger("dev.berth");

    @TempDir
    Path dir;
    Path co;
    Path socket;
    LocalBerth berth;
    CsiClient csi;
    final ConcurrentLinkedQueue<String> logLines = new ConcurrentLinkedQueue<>();
    Handler capture;
    Level berthLevel;

    @BeforeEach
    void up() throws Exception {
        Root.require();
        co = Files.createDirectories(dir.resolve("co"));
        socket = dir.resolve("csi.sock");
        assertTrue(socket.toString().getBytes(StandardCharsets.UTF_8).length <= 107, socket.toString());
        SimpleFormatter f = new SimpleFormatter();
        capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                logLines.add(f.format(r));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        capture.setLevel(Level.ALL);
        Logger.getLogger("").addHandler(capture);
        berthLevel = BERTH_LOGS.getLevel();
        berth = LocalBerth.start(dir, NODE, Map.of("csi.socket", socket.toString(), "csi.zone", ZONE,
                "csi.maxVolumesPerNode", "16"));
        assertTrue(Files.exists(socket), "no CSI socket at " + socket);
        csi = new CsiClient(socket);
    }

    @AfterEach
    void down() {
        try {
            if (csi != null) {
                // Snapshots outlive DeleteVolume (CSI's rule), and a volume with snapshots is not
                // force-removed: the orchestrator's own objects go first.
                try {
                    for (Csi.ListSnapshotsResponse.Entry e : csi.controller.listSnapshots(
                            Csi.ListSnapshotsRequest.getDefaultInstance()).getEntriesList()) {
                        csi.controller.deleteSnapshot(Csi.DeleteSnapshotRequest.newBuilder()
                                .setSnapshotId(e.getSnapshot().getSnapshotId()).build());
                    }
                } finally {
                    csi.close();
                }
            }
            // The orchestrator's binds first (deepest first), so Berth's forced removal can detach.
            List<String> ours = new ArrayList<>(Sys.mountsUnder(co));
            java.util.Collections.reverse(ours);
            for (String mp : ours) {
                Sys.run(List.of("/usr/bin/umount", "-l", mp));
            }
            if (berth != null) {
                berth.close();
            }
        } finally {
            Logger.getLogger("").removeHandler(capture);
            BERTH_LOGS.setLevel(berthLevel);
            Sys.cleanUp(dir);
        }
    }

    private Path folder(String name) throws IOException {
        return Files.createDirectories(co.resolve(name));
    }

    // ---- Identity ---------------------------------------------------------------------------

    @Test
    void identityNamesThePluginAndItsVersionAndIsReady() {
        Csi.GetPluginInfoResponse info = csi.identity.getPluginInfo(Csi.GetPluginInfoRequest.getDefaultInstance());
        assertEquals("berth.dev", info.getName());
        assertEquals(dev.berth.app.Version.get(), info.getVendorVersion());
        assertFalse(info.getVendorVersion().isBlank());

        List<Csi.PluginCapability> all = csi.identity.getPluginCapabilities(
                Csi.GetPluginCapabilitiesRequest.getDefaultInstance()).getCapabilitiesList();
        Set<Csi.PluginCapability.Service.Type> caps = all.stream().filter(Csi.PluginCapability::hasService)
                .map(c -> c.getService().getType()).collect(Collectors.toSet());
        assertEquals(Set.of(Csi.PluginCapability.Service.Type.CONTROLLER_SERVICE,
                Csi.PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS), caps);
        assertEquals(List.of(Csi.PluginCapability.VolumeExpansion.Type.ONLINE), all.stream()
                .filter(Csi.PluginCapability::hasVolumeExpansion).map(c -> c.getVolumeExpansion().getType()).toList());
        assertEquals(3, all.size(), all.toString());

        Csi.ProbeResponse probe = csi.identity.probe(Csi.ProbeRequest.getDefaultInstance());
        assertTrue(probe.hasReady() && probe.getReady().getValue(), probe.toString());
    }

    @Test
    void controllerAndNodeCapabilitiesAreExactlyTheDesignedOnes() {
        List<Csi.ControllerServiceCapability.RPC.Type> controller = csi.controller.controllerGetCapabilities(
                        Csi.ControllerGetCapabilitiesRequest.getDefaultInstance()).getCapabilitiesList().stream()
                .map(c -> c.getRpc().getType()).toList();
        assertEquals(controller.size(), new HashSet<>(controller).size(), "a capability listed twice: " + controller);
        assertEquals(java.util.EnumSet.of(Csi.ControllerServiceCapability.RPC.Type.CREATE_DELETE_VOLUME,
                Csi.ControllerServiceCapability.RPC.Type.PUBLISH_UNPUBLISH_VOLUME,
                Csi.ControllerServiceCapability.RPC.Type.LIST_VOLUMES,
                Csi.ControllerServiceCapability.RPC.Type.GET_CAPACITY,
                Csi.ControllerServiceCapability.RPC.Type.LIST_VOLUMES_PUBLISHED_NODES,
                Csi.ControllerServiceCapability.RPC.Type.GET_VOLUME,
                Csi.ControllerServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER,
                Csi.ControllerServiceCapability.RPC.Type.VOLUME_CONDITION,
                Csi.ControllerServiceCapability.RPC.Type.CREATE_DELETE_SNAPSHOT,
                Csi.ControllerServiceCapability.RPC.Type.LIST_SNAPSHOTS,
                Csi.ControllerServiceCapability.RPC.Type.GET_SNAPSHOT,
                Csi.ControllerServiceCapability.RPC.Type.CLONE_VOLUME,
                Csi.ControllerServiceCapability.RPC.Type.EXPAND_VOLUME), java.util.EnumSet.copyOf(controller));
        // Not PUBLISH_READONLY: a claim has no read-only form, so a read-only ControllerPublish
        // would be a promise Berth does not keep (read-only is NodePublish's readonly, enforced by the mount).

        List<Csi.NodeServiceCapability.RPC.Type> node = csi.node.nodeGetCapabilities(
                        Csi.NodeGetCapabilitiesRequest.getDefaultInstance()).getCapabilitiesList().stream()
                .map(c -> c.getRpc().getType()).toList();
        assertEquals(node.size(), new HashSet<>(node).size(), "a capability listed twice: " + node);
        assertEquals(java.util.EnumSet.of(Csi.NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME,
                Csi.NodeServiceCapability.RPC.Type.GET_VOLUME_STATS,
                Csi.NodeServiceCapability.RPC.Type.VOLUME_CONDITION,
                Csi.NodeServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER,
                Csi.NodeServiceCapability.RPC.Type.EXPAND_VOLUME), java.util.EnumSet.copyOf(node));
    }

    @Test
    void nodeGetInfoGivesTheNodeIdMaxVolumesAndZone() {
        Csi.NodeGetInfoResponse info = csi.node.nodeGetInfo(Csi.NodeGetInfoRequest.getDefaultInstance());
        assertEquals(NODE, info.getNodeId());
        assertEquals(16, info.getMaxVolumesPerNode());
        assertEquals(Map.of(ZONE_KEY, ZONE), info.getAccessibleTopology().getSegmentsMap());
    }

    @Test
    void notAdvertisedRpcsAnswerUnimplemented() {
        String id = csi.create("unimpl").getVolumeId();
        refused(Code.UNIMPLEMENTED, () -> csi.controller.controllerModifyVolume(Csi.ControllerModifyVolumeRequest
                .newBuilder().setVolumeId(id).build()));
    }

    // ---- CreateVolume -----------------------------------------------------------------------

    @Test
    void createVolumeRefusesMissingNameOrCapabilities() {
        refused(Code.INVALID_ARGUMENT, () -> csi.controller.createVolume(createReq("", 64 * MIB, SNW).build()));
        refused(Code.INVALID_ARGUMENT, () -> csi.controller.createVolume(
                createReq("nocaps", 64 * MIB, SNW).clearVolumeCapabilities().build()));
        Csi.VolumeCapability noMode = Csi.VolumeCapability.newBuilder()
                .setMount(Csi.VolumeCapability.MountVolume.getDefaultInstance()).build();
        refused(Code.INVALID_ARGUMENT, () -> csi.controller.createVolume(createReq("nomode", 64 * MIB, noMode).build()));
        Csi.VolumeCapability noType = Csi.VolumeCapability.newBuilder().setAccessMode(
                Csi.VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_WRITER)).build();
        refused(Code.INVALID_ARGUMENT, () -> csi.controller.createVolume(createReq("notype", 64 * MIB, noType).build()));
        assertEquals(0, listAll().size(), "a refused create made a volume");
    }

    @Test
    void createVolumeIsIdempotentAndRefusesAnIncompatibleSecondCreate() {
        Csi.Volume first = csi.create("same", 64 * MIB, SNW);
        assertTrue(first.getVolumeId().matches("[0-9a-f]{32}"), first.getVolumeId());
        assertEquals(64 * MIB, first.getCapacityBytes());
        assertEquals(Map.of("berth.dev/service", "local", "berth.dev/name", "same"), first.getVolumeContextMap());
        assertEquals(List.of(Csi.Topology.newBuilder().putSegments(ZONE_KEY, ZONE).build()), first.getAccessibleTopologyList());
        for (int i = 0; i < 3; i++) {
            assertEquals(first, csi.create("same", 64 * MIB, SNW));
        }
        // A smaller request is met by the volume there (the spec: compatible capacity range).
        assertEquals(first.getVolumeId(), csi.create("same", 32 * MIB, SNW).getVolumeId());
        refused(Code.ALREADY_EXISTS, () -> csi.create("same", 128 * MIB, SNW));
        refused(Code.ALREADY_EXISTS, () -> csi.controller.createVolume(createReq("same", 16 * MIB, SNW)
                .setCapacityRange(Csi.CapacityRange.newBuilder().setRequiredBytes(16 * MIB).setLimitBytes(32 * MIB)).build()));
        refused(Code.ALREADY_EXISTS, () -> csi.controller.createVolume(createReq("same", 64 * MIB, SNW)
                .putParameters("fsType", "xfs").build()));
        assertEquals(1, listAll().size());
    }

    @Test
    void createVolumeNames() {
        String longest = "n" + "a".repeat(127);
        Csi.Volume v = csi.create(longest);
        assertEquals(longest, v.getVolumeContextMap().get("berth.dev/name"));
        assertEquals(v.getVolumeId(), csi.create(longest).getVolumeId());
        refused(Code.INVALID_ARGUMENT, () -> csi.create(longest + "a"));

        // Not a Berth name (slash, colon, space, non-ASCII, leading '_'): a derived one, always the same.
        for (String odd : List.of("ns/pvc:one two", "_x", "ünïcode", "a..b", "x".repeat(60) + "/" + "y".repeat(67))) {
            Csi.Volume a = csi.create(odd);
            Csi.Volume b = csi.create(odd);
            assertEquals(a.getVolumeId(), b.getVolumeId(), odd);
            String name = a.getVolumeContextMap().get("berth.dev/name");
            assertTrue(name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}"), odd + " -> " + name);
            assertNotEquals(odd, name);
        }
        // Two CSI names that differ only where Berth substitutes are two volumes.
        assertNotEquals(csi.create("p/q").getVolumeId(), csi.create("p:q").getVolumeId());
    }

    @Test
    void createVolumeCapacityParametersModesAndSources() {
        refused(Code.OUT_OF_RANGE, () -> csi.controller.createVolume(createReq("range", 64 * MIB, SNW)
                .setCapacityRange(Csi.CapacityRange.newBuilder().setRequiredBytes(64 * MIB).setLimitBytes(32 * MIB)).build()));
        Status unknown = refused(Code.INVALID_ARGUMENT, () -> csi.controller.createVolume(createReq("param", 64 * MIB, SNW)
                .putParameters("colour", "blue").build()));
        assertTrue(unknown.getDescription().contains("colour"), unknown.toString());
        // external-provisioner's own keys are not Berth's to judge.
        csi.controller.createVolume(createReq("k8s", 64 * MIB, SNW)
                .putParameters("csi.storage.k8s.io/pvc/name", "claim").build());
        refused(Code.INVALID_ARGUMENT, () -> csi.controller.createVolume(createReq("badservice", 64 * MIB, SNW)
                .putParameters("service", "nope").build()));
        for (Mode m : List.of(Mode.MULTI_NODE_READER_ONLY, Mode.MULTI_NODE_SINGLE_WRITER, Mode.MULTI_NODE_MULTI_WRITER)) {
            refused(Code.INVALID_ARGUMENT, () -> csi.create("multi", 64 * MIB, mount(m)));
        }
        refused(Code.INVALID_ARGUMENT, () -> csi.controller.createVolume(createReq("blk-dir", 64 * MIB,
                block(Mode.SINGLE_NODE_WRITER)).putParameters("service", "scratch").build()));
        refused(Code.NOT_FOUND, () -> csi.controller.createVolume(createReq("fromsnap", 64 * MIB, SNW)
                .setVolumeContentSource(Csi.VolumeContentSource.newBuilder().setSnapshot(
                        Csi.VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId("snap-1"))).build()));
        refused(Code.NOT_FOUND, () -> csi.controller.createVolume(createReq("fromvol", 64 * MIB, SNW)
                .setVolumeContentSource(Csi.VolumeContentSource.newBuilder().setVolume(
                        Csi.VolumeContentSource.VolumeSource.newBuilder().setVolumeId("0123456789abcdef0123456789abcdef")))
                .build()));
        refused(Code.INVALID_ARGUMENT, () -> csi.controller.createVolume(createReq("fromnothing", 64 * MIB, SNW)
                .setVolumeContentSource(Csi.VolumeContentSource.getDefaultInstance()).build()));
        refused(Code.INVALID_ARGUMENT, () -> csi.controller.createVolume(createReq("fsclash", 64 * MIB,
                CsiClient.mountFs(Mode.SINGLE_NODE_WRITER, "ext4")).putParameters("fsType", "xfs").build()));
        assertEquals(Set.of("k8s"), listAll().stream().map(e -> e.getVolume().getVolumeContextMap().get("berth.dev/name"))
                .collect(Collectors.toSet()), "only the accepted create made a volume");

        // Topology: a requisite zone that is not this controller's cannot be met.
        refused(Code.RESOURCE_EXHAUSTED, () -> csi.controller.createVolume(createReq("elsewhere", 64 * MIB, SNW)
                .setAccessibilityRequirements(Csi.TopologyRequirement.newBuilder()
                        .addRequisite(Csi.Topology.newBuilder().putSegments(ZONE_KEY, "zone-b"))).build()));
        Csi.Volume here = csi.controller.createVolume(createReq("here", 64 * MIB, SNW)
                .setAccessibilityRequirements(Csi.TopologyRequirement.newBuilder()
                        .addRequisite(Csi.Topology.newBuilder().putSegments(ZONE_KEY, ZONE))).build()).getVolume();
        assertEquals(ZONE, here.getAccessibleTopology(0).getSegmentsMap().get(ZONE_KEY));
        // Default size when no capacity is asked for: volumes.defaultSize (64M in TestConfig).
        Csi.Volume dflt = csi.controller.createVolume(createReq("dflt", 0, SNW).clearCapacityRange().build()).getVolume();
        assertEquals(64 * MIB, dflt.getCapacityBytes());
    }

    @Test
    void fsTypeParameterMakesXfs() throws Exception {
        // mkfs.xfs 6.x refuses filesystems below 300 MB.
        Csi.Volume v = csi.controller.createVolume(createReq("xfs", 320 * MIB, SNW).putParameters("fsType", "xfs").build())
                .getVolume();
        Path staging = folder("stage-xfs");
        csi.stage(v.getVolumeId(), staging, SNW);
        assertEquals("xfs", fsTypeAt(staging));
        // Asking for ext4 at stage is refused: Berth never reformats.
        Path other = folder("stage-xfs2");
        refused(Code.FAILED_PRECONDITION, () -> csi.stage(v.getVolumeId(), other,
                CsiClient.mountFs(Mode.SINGLE_NODE_WRITER, "ext4")));
        csi.unstage(v.getVolumeId(), staging);

        Csi.Volume e = csi.create("ext4");
        Path s2 = folder("stage-ext4");
        csi.stage(e.getVolumeId(), s2, SNW);
        assertEquals("ext4", fsTypeAt(s2));
        csi.unstage(e.getVolumeId(), s2);
    }

    @Test
    void concurrentCreatesOfOneNameMakeOneVolume() throws Exception {
        List<Object> results = inParallel(8, () -> csi.create("racing").getVolumeId());
        Set<String> ids = new HashSet<>();
        for (Object r : results) {
            if (r instanceof String id) {
                ids.add(id);
            } else {
                assertEquals(Code.ABORTED, r, "every overlapping create is OK or ABORTED: " + results);
            }
        }
        assertEquals(1, ids.size(), results.toString());
        assertEquals(1, listAll().size());
        assertEquals(ids.iterator().next(), csi.create("racing").getVolumeId());
    }

    // ---- DeleteVolume -----------------------------------------------------------------------

    @Test
    void deleteVolume() throws Exception {
        refused(Code.INVALID_ARGUMENT, () -> csi.delete(""));
        csi.delete("0123456789abcdef0123456789abcdef");
        csi.delete("not-even-an-id");
        String id = csi.create("del").getVolumeId();
        csi.controllerPublish(id, NODE, SNW, false);
        Path staging = folder("stage-del");
        csi.stage(id, staging, SNW);
        Status busy = refused(Code.FAILED_PRECONDITION, () -> csi.delete(id));
        assertFalse(busy.getDescription().isBlank());
        assertEquals(1, listAll().size());
        csi.unstage(id, staging);
        csi.controllerUnpublish(id, NODE);
        for (int i = 0; i < 3; i++) {
            csi.delete(id);
        }
        assertEquals(0, listAll().size());
        assertEquals(List.of(), Sys.loopsUnder(dir), "the deleted volume's loop device is left");
    }

    // ---- ControllerPublish / Unpublish -----------------------------------------------------

    @Test
    void controllerPublish() {
        String id = csi.create("cpub").getVolumeId();
        refused(Code.NOT_FOUND, () -> csi.controllerPublish("0123456789abcdef0123456789abcdef", NODE, SNW, false));
        Status noNode = refused(Code.NOT_FOUND, () -> csi.controllerPublish(id, "nowhere", SNW, false));
        assertTrue(noNode.getDescription().contains("nowhere"), noNode.toString());
        refused(Code.INVALID_ARGUMENT, () -> csi.controllerPublish("", NODE, SNW, false));
        refused(Code.INVALID_ARGUMENT, () -> csi.controllerPublish(id, "", SNW, false));
        refused(Code.INVALID_ARGUMENT, () -> csi.controller.controllerPublishVolume(Csi.ControllerPublishVolumeRequest
                .newBuilder().setVolumeId(id).setNodeId(NODE).build()));
        refused(Code.INVALID_ARGUMENT, () -> csi.controllerPublish(id, NODE, mount(Mode.MULTI_NODE_MULTI_WRITER), false));

        Map<String, String> ctx = csi.controllerPublish(id, NODE, SNW, false);
        assertEquals(Set.of("berth.dev/epoch"), ctx.keySet());
        assertTrue(Long.parseLong(ctx.get("berth.dev/epoch")) >= 1, ctx.toString());
        for (int i = 0; i < 3; i++) {
            assertEquals(ctx, csi.controllerPublish(id, NODE, SNW, false));
        }
        assertEquals(List.of(NODE), getVolume(id).getStatus().getPublishedNodeIdsList());
    }

    @Test
    void controllerUnpublish() throws Exception {
        String id = csi.create("cunpub").getVolumeId();
        refused(Code.INVALID_ARGUMENT, () -> csi.controllerUnpublish("", NODE));
        csi.controllerUnpublish(id, NODE); // never published
        csi.controllerUnpublish("0123456789abcdef0123456789abcdef", NODE); // unknown: regarded as unpublished
        csi.controllerPublish(id, NODE, SNW, false);
        Path staging = folder("stage-cu");
        csi.stage(id, staging, SNW);
        Status staged = refused(Code.FAILED_PRECONDITION, () -> csi.controllerUnpublish(id, NODE));
        assertTrue(staged.getDescription().toLowerCase(java.util.Locale.ROOT).contains("unstage"), staged.toString());
        assertEquals(List.of(NODE), getVolume(id).getStatus().getPublishedNodeIdsList());
        csi.unstage(id, staging);
        for (int i = 0; i < 3; i++) {
            csi.controllerUnpublish(id, NODE);
        }
        assertEquals(List.of(), getVolume(id).getStatus().getPublishedNodeIdsList());
        // Published again, unpublished without a node id: from every node.
        csi.controllerPublish(id, NODE, SNW, false);
        csi.controllerUnpublish(id, "");
        assertEquals(List.of(), getVolume(id).getStatus().getPublishedNodeIdsList());
    }

    // ---- ValidateVolumeCapabilities, ListVolumes, GetCapacity, ControllerGetVolume ----------

    @Test
    void validateVolumeCapabilities() {
        String id = csi.create("valid").getVolumeId();
        for (Csi.VolumeCapability c : List.of(SNW, mount(Mode.SINGLE_NODE_READER_ONLY), mount(Mode.SINGLE_NODE_SINGLE_WRITER),
                mount(Mode.SINGLE_NODE_MULTI_WRITER), block(Mode.SINGLE_NODE_WRITER))) {
            Csi.ValidateVolumeCapabilitiesResponse r = validate(id, c);
            assertTrue(r.hasConfirmed(), c + " -> " + r);
            assertEquals(List.of(c), r.getConfirmed().getVolumeCapabilitiesList());
        }
        for (Mode m : List.of(Mode.MULTI_NODE_READER_ONLY, Mode.MULTI_NODE_SINGLE_WRITER, Mode.MULTI_NODE_MULTI_WRITER)) {
            Csi.ValidateVolumeCapabilitiesResponse r = validate(id, mount(m));
            assertFalse(r.hasConfirmed(), m + " -> " + r);
            assertFalse(r.getMessage().isBlank(), m + " -> " + r);
        }
        Csi.ValidateVolumeCapabilitiesResponse xfs = validate(id, CsiClient.mountFs(Mode.SINGLE_NODE_WRITER, "xfs"));
        assertFalse(xfs.hasConfirmed(), "an ext4 volume confirmed as xfs: " + xfs);

        String dirId = csi.controller.createVolume(createReq("valid-dir", 64 * MIB, SNW).putParameters("service", "scratch")
                .build()).getVolume().getVolumeId();
        assertTrue(validate(dirId, SNW).hasConfirmed());
        assertFalse(validate(dirId, block(Mode.SINGLE_NODE_WRITER)).hasConfirmed(), "a folder volume confirmed as block");

        refused(Code.NOT_FOUND, () -> validate("0123456789abcdef0123456789abcdef", SNW));
        refused(Code.INVALID_ARGUMENT, () -> csi.controller.validateVolumeCapabilities(
                Csi.ValidateVolumeCapabilitiesRequest.newBuilder().setVolumeId(id).build()));
        refused(Code.INVALID_ARGUMENT, () -> validate("", SNW));
    }

    private Csi.ValidateVolumeCapabilitiesResponse validate(String id, Csi.VolumeCapability c) {
        return csi.controller.validateVolumeCapabilities(Csi.ValidateVolumeCapabilitiesRequest.newBuilder()
                .setVolumeId(id).addVolumeCapabilities(c).build());
    }

    private List<Csi.ListVolumesResponse.Entry> listAll() {
        Csi.ListVolumesResponse r = csi.controller.listVolumes(Csi.ListVolumesRequest.getDefaultInstance());
        assertEquals("", r.getNextToken());
        return r.getEntriesList();
    }

    private Csi.ControllerGetVolumeResponse getVolume(String id) {
        return csi.controller.controllerGetVolume(Csi.ControllerGetVolumeRequest.newBuilder().setVolumeId(id).build());
    }

    @Test
    void listVolumesPagesThroughEveryVolumeOnceAndRefusesBadTokens() {
        Map<String, Csi.Volume> made = new java.util.HashMap<>();
        for (int i = 0; i < 5; i++) {
            Csi.Volume v = csi.create("list-" + i);
            made.put(v.getVolumeId(), v);
        }
        csi.controllerPublish(made.keySet().iterator().next(), NODE, SNW, false);
        String published = made.keySet().iterator().next();

        List<Csi.ListVolumesResponse.Entry> all = listAll();
        assertEquals(made.keySet(), all.stream().map(e -> e.getVolume().getVolumeId()).collect(Collectors.toSet()));
        for (Csi.ListVolumesResponse.Entry e : all) {
            assertEquals(made.get(e.getVolume().getVolumeId()), e.getVolume());
            assertEquals(e.getVolume().getVolumeId().equals(published) ? List.of(NODE) : List.of(),
                    e.getStatus().getPublishedNodeIdsList(), e.toString());
            assertFalse(e.getStatus().getVolumeCondition().getAbnormal(), e.toString());
        }

        for (int max : new int[] {1, 2, 4, 5}) {
            List<String> seen = new ArrayList<>();
            String token = "";
            int pages = 0;
            do {
                Csi.ListVolumesResponse page = csi.controller.listVolumes(Csi.ListVolumesRequest.newBuilder()
                        .setMaxEntries(max).setStartingToken(token).build());
                assertTrue(page.getEntriesCount() <= max, "page of " + page.getEntriesCount() + " > " + max);
                page.getEntriesList().forEach(e -> seen.add(e.getVolume().getVolumeId()));
                token = page.getNextToken();
                assertTrue(++pages <= 6, "paging does not end");
            } while (!token.isEmpty());
            assertEquals(5, seen.size(), "max " + max + ": " + seen);
            assertEquals(made.keySet(), new HashSet<>(seen), "max " + max);
        }
        // A volume deleted between two pages does not break the walk.
        Csi.ListVolumesResponse first = csi.controller.listVolumes(Csi.ListVolumesRequest.newBuilder().setMaxEntries(2).build());
        String firstId = first.getEntries(0).getVolume().getVolumeId();
        if (!firstId.equals(published)) {
            csi.delete(first.getEntries(1).getVolume().getVolumeId().equals(published) ? firstId
                    : first.getEntries(1).getVolume().getVolumeId());
        }
        Csi.ListVolumesResponse rest = csi.controller.listVolumes(Csi.ListVolumesRequest.newBuilder()
                .setStartingToken(first.getNextToken()).build());
        assertEquals(3, rest.getEntriesCount(), rest.toString());

        for (String bad : List.of("invalid-token", "v1.", "v1.!!!", "v1." + java.util.Base64.getUrlEncoder()
                .encodeToString("../etc".getBytes(StandardCharsets.UTF_8)))) {
            refused(Code.ABORTED, () -> csi.controller.listVolumes(Csi.ListVolumesRequest.newBuilder()
                    .setStartingToken(bad).build()));
        }
        refused(Code.INVALID_ARGUMENT, () -> csi.controller.listVolumes(Csi.ListVolumesRequest.newBuilder()
                .setMaxEntries(-1).build()));
    }

    @Test
    void getCapacityAndControllerGetVolume() {
        Csi.GetCapacityResponse local = csi.controller.getCapacity(Csi.GetCapacityRequest.newBuilder()
                .putParameters("service", "local").addVolumeCapabilities(SNW).build());
        assertTrue(local.getAvailableCapacity() > 64 * MIB, local.toString());
        assertTrue(local.hasMaximumVolumeSize() && local.getMaximumVolumeSize().getValue() > 0, local.toString());
        assertTrue(local.getMinimumVolumeSize().getValue() <= 64 * MIB, local.toString());
        Csi.GetCapacityResponse noParams = csi.controller.getCapacity(Csi.GetCapacityRequest.getDefaultInstance());
        assertTrue(noParams.getAvailableCapacity() > 0, noParams.toString());
        Csi.GetCapacityResponse blockOnDir = csi.controller.getCapacity(Csi.GetCapacityRequest.newBuilder()
                .putParameters("service", "scratch").addVolumeCapabilities(block(Mode.SINGLE_NODE_WRITER)).build());
        assertEquals(0, blockOnDir.getAvailableCapacity(), blockOnDir.toString());
        Csi.GetCapacityResponse otherZone = csi.controller.getCapacity(Csi.GetCapacityRequest.newBuilder()
                .putParameters("service", "local").setAccessibleTopology(Csi.Topology.newBuilder()
                        .putSegments(ZONE_KEY, "zone-b")).build());
        assertEquals(0, otherZone.getAvailableCapacity(), otherZone.toString());
        refused(Code.INVALID_ARGUMENT, () -> csi.controller.getCapacity(Csi.GetCapacityRequest.newBuilder()
                .putParameters("colour", "blue").build()));

        Csi.Volume v = csi.create("getvol", 96 * MIB, SNW);
        Csi.ControllerGetVolumeResponse got = getVolume(v.getVolumeId());
        assertEquals(v, got.getVolume());
        assertEquals(96 * MIB, got.getVolume().getCapacityBytes());
        assertEquals(List.of(), got.getStatus().getPublishedNodeIdsList());
        assertTrue(got.getStatus().hasVolumeCondition() && !got.getStatus().getVolumeCondition().getAbnormal(), got.toString());
        refused(Code.NOT_FOUND, () -> getVolume("0123456789abcdef0123456789abcdef"));
        refused(Code.INVALID_ARGUMENT, () -> getVolume(""));
    }

    // ---- Node: lifecycles -------------------------------------------------------------------

    @Test
    void mountVolumeLifecycleWithEveryCallRepeated() throws Exception {
        Csi.Volume v = csi.create("life");
        String id = v.getVolumeId();
        for (int i = 0; i < 3; i++) {
            assertEquals(v, csi.create("life"));
        }
        Map<String, String> ctx = csi.controllerPublish(id, NODE, SNW, false);
        for (int i = 0; i < 3; i++) {
            assertEquals(ctx, csi.controllerPublish(id, NODE, SNW, false));
        }
        Path staging = folder("staging/life");
        Files.createDirectories(co.resolve("pods"));
        Path target = co.resolve("pods/life");
        for (int i = 0; i < 3; i++) {
            csi.stage(id, staging, SNW);
            assertEquals(1, mountsAt(staging), "stage " + i);
        }
        for (int i = 0; i < 3; i++) {
            csi.publish(id, staging, target, SNW, false);
            assertEquals(1, mountsAt(target), "publish " + i);
        }
        Files.writeString(target.resolve("hello.txt"), "from the pod");
        assertEquals("from the pod", Files.readString(staging.resolve("hello.txt")), "target and staging are one filesystem");
        for (int i = 0; i < 3; i++) {
            csi.unpublish(id, target);
            assertEquals(0, mountsAt(target), "unpublish " + i);
        }
        assertFalse(Files.exists(target), "the target folder Berth made is left");
        for (int i = 0; i < 3; i++) {
            csi.unstage(id, staging);
            assertEquals(0, mountsAt(staging), "unstage " + i);
        }
        assertTrue(Sys.mountsUnder(dir).isEmpty(), "mounts left after unstage: " + Sys.mountsUnder(dir));
        assertTrue(Sys.loopsUnder(dir).isEmpty(), "device still attached after unstage: " + Sys.loopsUnder(dir));
        for (int i = 0; i < 3; i++) {
            csi.controllerUnpublish(id, NODE);
        }
        assertEquals(List.of(), getVolume(id).getStatus().getPublishedNodeIdsList());

        // Second time round: the data is still there.
        csi.controllerPublish(id, NODE, SNW, false);
        csi.stage(id, staging, SNW);
        csi.publish(id, staging, target, SNW, false);
        assertEquals("from the pod", Files.readString(target.resolve("hello.txt")));
        csi.unpublish(id, target);
        csi.unstage(id, staging);
        csi.controllerUnpublish(id, NODE);
        for (int i = 0; i < 3; i++) {
            csi.delete(id);
        }
        assertEquals(List.of(), listAll());
        assertEquals(List.of(), Sys.mountsUnder(dir));
        assertEquals(List.of(), Sys.loopsUnder(dir));
    }

    @Test
    void blockVolumeLifecycle() throws Exception {
        Csi.VolumeCapability blk = block(Mode.SINGLE_NODE_WRITER);
        Csi.Volume v = csi.create("blk", 64 * MIB, blk);
        String id = v.getVolumeId();
        csi.controllerPublish(id, NODE, blk, false);
        Path staging = folder("staging/blk");
        for (int i = 0; i < 3; i++) {
            csi.stage(id, staging, blk);
        }
        Path target = co.resolve("blk-dev");
        for (int i = 0; i < 3; i++) {
            csi.publish(id, staging, target, blk, false);
            assertEquals(1, mountsAt(target), "publish " + i);
        }
        assertTrue(Files.readAttributes(target, java.nio.file.attribute.BasicFileAttributes.class).isOther(),
                "the target is not a device node");
        byte[] data = "block bytes through the device node".getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile f = new RandomAccessFile(target.toFile(), "rw")) {
            assertEquals(64 * MIB, f.length(), "the target is the device (its length is the volume's size)");
            f.seek(8 * MIB);
            f.write(data);
            f.getFD().sync();
        }
        Csi.NodeGetVolumeStatsResponse st = csi.stats(id, target);
        assertEquals(1, st.getUsageCount(), st.toString());
        assertEquals(Csi.VolumeUsage.Unit.BYTES, st.getUsage(0).getUnit());
        assertEquals(64 * MIB, st.getUsage(0).getTotal());
        assertFalse(st.getVolumeCondition().getAbnormal(), st.toString());

        Path ro = co.resolve("blk-ro");
        Status refusedRo = refused(Code.FAILED_PRECONDITION, () -> csi.publish(id, staging, ro, blk, true));
        assertFalse(refusedRo.getDescription().isBlank());
        refused(Code.FAILED_PRECONDITION, () -> csi.publish(id, staging, ro, block(Mode.SINGLE_NODE_READER_ONLY), false));
        assertEquals(0, mountsAt(ro));

        for (int i = 0; i < 3; i++) {
            csi.unpublish(id, target);
            assertEquals(0, mountsAt(target));
        }
        for (int i = 0; i < 3; i++) {
            csi.unstage(id, staging);
        }
        csi.controllerUnpublish(id, NODE);
        // Again, at another target: the bytes are on the volume.
        csi.controllerPublish(id, NODE, blk, false);
        csi.stage(id, staging, blk);
        Path again = co.resolve("blk-again");
        csi.publish(id, staging, again, blk, false);
        byte[] back = new byte[data.length];
        try (RandomAccessFile f = new RandomAccessFile(again.toFile(), "r")) {
            f.seek(8 * MIB);
            f.readFully(back);
        }
        assertArrayEquals(data, back);
        csi.unpublish(id, again);
        csi.unstage(id, staging);
        csi.controllerUnpublish(id, NODE);
        csi.delete(id);
        assertEquals(List.of(), Sys.mountsUnder(dir));
        assertEquals(List.of(), Sys.loopsUnder(dir));
    }

    @Test
    void readOnlyPublishRefusesWritesWhileTheVolumeStaysWritable() throws Exception {
        Csi.VolumeCapability multi = mount(Mode.SINGLE_NODE_MULTI_WRITER);
        String id = csi.create("ro").getVolumeId();
        Path staging = folder("staging/ro");
        csi.stage(id, staging, multi);
        Path ro = co.resolve("ro-target");
        for (int i = 0; i < 3; i++) {
            csi.publish(id, staging, ro, multi, true);
        }
        IOException e = assertThrows(IOException.class, () -> Files.writeString(ro.resolve("nope"), "x"));
        assertTrue(String.valueOf(e.getMessage()).contains("Read-only file system"), e.toString());
        Path rw = co.resolve("rw-target");
        csi.publish(id, staging, rw, multi, false);
        Files.writeString(rw.resolve("yes"), "written");
        assertEquals("written", Files.readString(ro.resolve("yes")), "the read-only target shows the same filesystem");
        assertTrue(CsiClient.optionsAt(ro).contains("ro"), CsiClient.optionsAt(ro));

        // SINGLE_NODE_READER_ONLY is read-only even without the readonly flag.
        String id2 = csi.create("ro2").getVolumeId();
        Csi.VolumeCapability reader = mount(Mode.SINGLE_NODE_READER_ONLY);
        Path staging2 = folder("staging/ro2");
        csi.stage(id2, staging2, reader);
        Path t2 = co.resolve("ro2-target");
        csi.publish(id2, staging2, t2, reader, false);
        IOException e2 = assertThrows(IOException.class, () -> Files.writeString(t2.resolve("nope"), "x"));
        assertTrue(String.valueOf(e2.getMessage()).contains("Read-only file system"), e2.toString());
        for (Path t : List.of(ro, rw)) {
            csi.unpublish(id, t);
        }
        csi.unpublish(id2, t2);
        csi.unstage(id, staging);
        csi.unstage(id2, staging2);
        assertEquals(List.of(), Sys.mountsUnder(co));
    }

    @Test
    void secondNodePublishFollowsTheSpecTable() throws Exception {
        for (Mode m : List.of(Mode.SINGLE_NODE_WRITER, Mode.SINGLE_NODE_SINGLE_WRITER, Mode.SINGLE_NODE_MULTI_WRITER)) {
            Csi.VolumeCapability cap = mount(m);
            String id = csi.create("twice-" + m.getNumber()).getVolumeId();
            Path staging = folder("staging/twice-" + m.getNumber());
            csi.stage(id, staging, cap);
            Path t1 = co.resolve("t1-" + m.getNumber());
            Path t2 = co.resolve("t2-" + m.getNumber());
            csi.publish(id, staging, t1, cap, false);
            csi.publish(id, staging, t1, cap, false); // T1=T2, P1=P2: OK
            refused(Code.ALREADY_EXISTS, () -> csi.publish(id, staging, t1, cap, true)); // T1=T2, P1≠P2
            refused(Code.ALREADY_EXISTS, () -> csi.publish(id, staging, t1, mount(m, "noatime"), false));
            if (m == Mode.SINGLE_NODE_MULTI_WRITER) {
                csi.publish(id, staging, t2, cap, false); // T1≠T2, P1=P2: OK
                assertEquals(1, mountsAt(t2));
                Path t3 = co.resolve("t3-" + m.getNumber());
                csi.publish(id, staging, t3, cap, true); // T1≠T2, P1≠P2: OK
                assertEquals(1, mountsAt(t3));
                csi.unpublish(id, t2);
                csi.unpublish(id, t3);
            } else {
                Status s = refused(Code.FAILED_PRECONDITION, () -> csi.publish(id, staging, t2, cap, false));
                assertTrue(s.getDescription().contains(t1.toString()), s.toString());
                refused(Code.FAILED_PRECONDITION, () -> csi.publish(id, staging, t2, cap, true));
                assertEquals(0, mountsAt(t2), m + ": mounted at the refused target");
            }
            assertEquals(1, mountsAt(t1), m.toString());
            csi.unpublish(id, t1);
            csi.unstage(id, staging);
        }
        assertEquals(List.of(), Sys.mountsUnder(co));
    }

    @Test
    void stageRules() throws Exception {
        String id = csi.create("stagerules").getVolumeId();
        Path staging = folder("staging/rules");
        refused(Code.INVALID_ARGUMENT, () -> csi.node.nodeStageVolume(stageReq("", staging, SNW)));
        refused(Code.INVALID_ARGUMENT, () -> csi.node.nodeStageVolume(stageReq(id, staging, SNW).toBuilder()
                .clearStagingTargetPath().build()));
        refused(Code.INVALID_ARGUMENT, () -> csi.node.nodeStageVolume(stageReq(id, staging, SNW).toBuilder()
                .clearVolumeCapability().build()));
        refused(Code.NOT_FOUND, () -> csi.stage("0123456789abcdef0123456789abcdef", staging, SNW));
        refused(Code.FAILED_PRECONDITION, () -> csi.stage(id, staging, mount(Mode.MULTI_NODE_MULTI_WRITER)));
        assertEquals(0, mountsAt(staging));

        csi.stage(id, staging, SNW);
        refused(Code.ALREADY_EXISTS, () -> csi.stage(id, staging, mount(Mode.SINGLE_NODE_WRITER, "noatime")));
        refused(Code.ALREADY_EXISTS, () -> csi.stage(id, staging, block(Mode.SINGLE_NODE_WRITER)));
        csi.stage(id, staging, SNW);
        assertEquals(1, mountsAt(staging));

        // Publish needs the stage; unstage waits for every unpublish.
        Path target = co.resolve("rules-target");
        refused(Code.FAILED_PRECONDITION, () -> csi.node.nodePublishVolume(publishReq(id, staging, target, SNW, false)
                .toBuilder().clearStagingTargetPath().build()));
        refused(Code.FAILED_PRECONDITION, () -> csi.publish(id, co.resolve("staging"), target, SNW, false));
        refused(Code.INVALID_ARGUMENT, () -> csi.node.nodePublishVolume(publishReq(id, staging, target, SNW, false)
                .toBuilder().clearTargetPath().build()));
        refused(Code.INVALID_ARGUMENT, () -> csi.node.nodePublishVolume(publishReq(id, staging, target, SNW, false)
                .toBuilder().clearVolumeCapability().build()));
        refused(Code.NOT_FOUND, () -> csi.publish("0123456789abcdef0123456789abcdef", staging, target, SNW, false));
        assertEquals(0, mountsAt(target));
        csi.publish(id, staging, target, SNW, false);
        refused(Code.FAILED_PRECONDITION, () -> csi.unstage(id, staging));
        assertEquals(1, mountsAt(staging));
        csi.unpublish(id, target);
        csi.unstage(id, staging);

        refused(Code.NOT_FOUND, () -> csi.unstage("0123456789abcdef0123456789abcdef", staging));
        refused(Code.NOT_FOUND, () -> csi.unpublish("0123456789abcdef0123456789abcdef", target));
        refused(Code.INVALID_ARGUMENT, () -> csi.unstage("", staging));
        refused(Code.INVALID_ARGUMENT, () -> csi.unpublish(id, Path.of("/")));
    }

    @Test
    void nodeGetVolumeStats() throws Exception {
        String id = csi.create("stats").getVolumeId();
        Path staging = folder("staging/stats");
        csi.stage(id, staging, SNW);
        Path target = co.resolve("stats-target");
        csi.publish(id, staging, target, SNW, false);
        for (Path p : List.of(staging, target)) {
            Csi.NodeGetVolumeStatsResponse s = csi.stats(id, p);
            Map<Csi.VolumeUsage.Unit, Csi.VolumeUsage> by = s.getUsageList().stream()
                    .collect(Collectors.toMap(Csi.VolumeUsage::getUnit, u -> u));
            assertEquals(Set.of(Csi.VolumeUsage.Unit.BYTES, Csi.VolumeUsage.Unit.INODES), by.keySet(), s.toString());
            Csi.VolumeUsage bytes = by.get(Csi.VolumeUsage.Unit.BYTES);
            assertTrue(bytes.getTotal() > 32 * MIB && bytes.getTotal() <= 64 * MIB, s.toString());
            assertTrue(bytes.getAvailable() > 0 && bytes.getAvailable() <= bytes.getTotal(), s.toString());
            assertTrue(bytes.getUsed() >= 0 && bytes.getUsed() <= bytes.getTotal(), s.toString());
            Csi.VolumeUsage inodes = by.get(Csi.VolumeUsage.Unit.INODES);
            assertTrue(inodes.getTotal() > 0 && inodes.getUsed() > 0 && inodes.getAvailable() > 0, s.toString());
            assertTrue(s.hasVolumeCondition() && !s.getVolumeCondition().getAbnormal(), s.toString());
        }
        refused(Code.NOT_FOUND, () -> csi.stats(id, co.resolve("elsewhere")));
        // csi-sanity's rows: a path Berth would never mount on holds no volume.
        refused(Code.NOT_FOUND, () -> csi.stats(id, Path.of("some/path")));
        refused(Code.NOT_FOUND, () -> csi.stats("0123456789abcdef0123456789abcdef", target));
        // Something unmounted the target behind Berth's back: abnormal.
        Sys.run(List.of("/usr/bin/umount", target.toString()));
        Csi.NodeGetVolumeStatsResponse gone = csi.stats(id, target);
        assertTrue(gone.getVolumeCondition().getAbnormal(), gone.toString());
        assertFalse(gone.getVolumeCondition().getMessage().isBlank());
        csi.unpublish(id, target);
        csi.unstage(id, staging);
    }

    @Test
    void hostilePathsAreRefusedAndNothingIsMounted() throws Exception {
        String id = csi.create("hostile").getVolumeId();
        Path staging = folder("staging/hostile");
        List<String> before = Sys.mountsUnder(dir);
        List<String> hostile = List.of("co/relative", co + "/../co/x", co + "/./x", co + "//x", co + "/x/",
                co + "/nul\u0000x", co + "/new\nline", co + "/esc\u001b[2J", dir.resolve("volumes").toString(),
                dir.resolve("volumes/evil").toString(), dir.resolve("state/evil").toString(),
                dir.resolve("pool/evil").toString(), dir.resolve("dirs").toString(), "/", "/tmp",
                co + "/" + "x".repeat(4097));
        for (String p : hostile) {
            Status st = refused(Code.INVALID_ARGUMENT, () -> csi.node.nodeStageVolume(Csi.NodeStageVolumeRequest
                    .newBuilder().setVolumeId(id).setStagingTargetPath(p).setVolumeCapability(SNW).build()));
            assertFalse(st.getDescription().contains("\n"), "the message repeats a newline: " + st);
        }
        assertEquals(before, Sys.mountsUnder(dir), "a refused stage mounted something");
        csi.stage(id, staging, SNW);
        List<String> staged = Sys.mountsUnder(dir);
        for (String p : hostile) {
            refused(Code.INVALID_ARGUMENT, () -> csi.node.nodePublishVolume(Csi.NodePublishVolumeRequest.newBuilder()
                    .setVolumeId(id).setStagingTargetPath(staging.toString()).setTargetPath(p)
                    .setVolumeCapability(SNW).build()));
            refused(Code.INVALID_ARGUMENT, () -> csi.node.nodePublishVolume(Csi.NodePublishVolumeRequest.newBuilder()
                    .setVolumeId(id).setStagingTargetPath(p).setTargetPath(co.resolve("ok").toString())
                    .setVolumeCapability(SNW).build()));
            refused(Code.INVALID_ARGUMENT, () -> csi.node.nodeUnpublishVolume(Csi.NodeUnpublishVolumeRequest.newBuilder()
                    .setVolumeId(id).setTargetPath(p).build()));
            refused(Code.INVALID_ARGUMENT, () -> csi.node.nodeUnstageVolume(Csi.NodeUnstageVolumeRequest.newBuilder()
                    .setVolumeId(id).setStagingTargetPath(p).build()));
        }
        assertEquals(staged, Sys.mountsUnder(dir), "a refused publish mounted or unmounted something");
        assertFalse(Files.exists(dir.resolve("volumes/evil")));
        assertFalse(Files.exists(co.resolve("ok")));
        // A target that is a symlink (to Berth's own folder) is refused too.
        Path link = Files.createSymbolicLink(co.resolve("link"), dir.resolve("volumes"));
        refused(Code.INVALID_ARGUMENT, () -> csi.publish(id, staging, link, SNW, false));
        assertEquals(staged, Sys.mountsUnder(dir));
        csi.unstage(id, staging);
    }

    @Test
    void overlappingStagesOfOneVolumeAreOkOrAbortedAndStageOnce() throws Exception {
        String id = csi.create("overlap").getVolumeId();
        Path staging = folder("staging/overlap");
        List<Object> results = inParallel(8, () -> {
            csi.stage(id, staging, SNW);
            return Code.OK;
        });
        assertTrue(results.contains(Code.OK), results.toString());
        for (Object r : results) {
            assertTrue(r == Code.OK || r == Code.ABORTED, "overlapping NodeStage answered " + r + ": " + results);
        }
        assertEquals(1, mountsAt(staging), "staged " + mountsAt(staging) + " times");
        csi.stage(id, staging, SNW);
        assertEquals(1, mountsAt(staging));

        Path target = co.resolve("overlap-target");
        List<Object> pubs = inParallel(8, () -> {
            csi.publish(id, staging, target, SNW, false);
            return Code.OK;
        });
        assertTrue(pubs.contains(Code.OK), pubs.toString());
        for (Object r : pubs) {
            assertTrue(r == Code.OK || r == Code.ABORTED, "overlapping NodePublish answered " + r + ": " + pubs);
        }
        assertEquals(1, mountsAt(target));
        List<Object> unpubs = inParallel(8, () -> {
            csi.unpublish(id, target);
            return Code.OK;
        });
        for (Object r : unpubs) {
            assertTrue(r == Code.OK || r == Code.ABORTED, "overlapping NodeUnpublish answered " + r + ": " + unpubs);
        }
        csi.unpublish(id, target);
        assertEquals(0, mountsAt(target));
        csi.unstage(id, staging);
        assertEquals(0, mountsAt(staging));
    }

    /** Runs {@code call} on {@code n} threads at once; each result is the value or the status code. */
    private static List<Object> inParallel(int n, java.util.concurrent.Callable<Object> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Object>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(pool.submit(() -> {
                    go.await();
                    try {
                        return call.call();
                    } catch (io.grpc.StatusRuntimeException e) {
                        return e.getStatus().getCode();
                    }
                }));
            }
            go.countDown();
            List<Object> out = new ArrayList<>();
            for (Future<Object> f : fs) {
                out.add(f.get(2, TimeUnit.MINUTES));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- Secrets ----------------------------------------------------------------------------

    @Test
    void secretsNeverAppearInTheLog() throws Exception {
        BERTH_LOGS.setLevel(Level.ALL); // the request log's FINE dump of each request too
        String secret = "s3cr3t-" + UUID.randomUUID();
        Map<String, String> secrets = Map.of("password", secret, "token-" + "k", secret + "-2");
        Csi.Volume v = csi.controller.createVolume(createReq("secret", 64 * MIB, SNW).putAllSecrets(secrets).build())
                .getVolume();
        String id = v.getVolumeId();
        Status bad = refused(Code.INVALID_ARGUMENT, () -> csi.controller.createVolume(createReq("secret-bad", 64 * MIB, SNW)
                .putParameters("colour", "blue").putAllSecrets(secrets).build()));
        assertFalse(bad.getDescription().contains(secret), bad.toString());
        csi.controller.controllerPublishVolume(Csi.ControllerPublishVolumeRequest.newBuilder().setVolumeId(id)
                .setNodeId(NODE).setVolumeCapability(SNW).putAllSecrets(secrets).build());
        Path staging = folder("staging/secret");
        csi.node.nodeStageVolume(stageReq(id, staging, SNW).toBuilder().putAllSecrets(secrets).build());
        Path target = co.resolve("secret-target");
        csi.node.nodePublishVolume(publishReq(id, staging, target, SNW, false).toBuilder().putAllSecrets(secrets).build());
        Status nf = refused(Code.NOT_FOUND, () -> csi.node.nodeStageVolume(stageReq("0123456789abcdef0123456789abcdef",
                staging, SNW).toBuilder().putAllSecrets(secrets).build()));
        assertFalse(nf.getDescription().contains(secret), nf.toString());
        csi.unpublish(id, target);
        csi.unstage(id, staging);
        csi.controller.controllerUnpublishVolume(Csi.ControllerUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                .setNodeId(NODE).putAllSecrets(secrets).build());
        csi.controller.validateVolumeCapabilities(Csi.ValidateVolumeCapabilitiesRequest.newBuilder().setVolumeId(id)
                .addVolumeCapabilities(SNW).putAllSecrets(secrets).build());
        csi.controller.listVolumes(Csi.ListVolumesRequest.getDefaultInstance());
        csi.controller.deleteVolume(Csi.DeleteVolumeRequest.newBuilder().setVolumeId(id).putAllSecrets(secrets).build());

        String log = String.join("", logLines);
        // The capture works: the request log wrote its lines, with the request bodies at FINE.
        for (String rpc : List.of("CreateVolume", "ControllerPublishVolume", "NodeStageVolume", "NodePublishVolume",
                "DeleteVolume")) {
            assertTrue(log.contains(rpc), "no log line for " + rpc + ":\n" + log);
        }
        assertTrue(log.contains("staging/secret"), "the request log does not show the request's fields:\n" + log);
        assertFalse(log.contains(secret), "a secret is in the log:\n" + log.lines().filter(l -> l.contains(secret))
                .collect(Collectors.joining("\n")));
        assertFalse(log.contains("s3cr3t"), "a secret is in the log");
    }

    // ---- Snapshots, clones, expansion -------------------------------------------------------

    private Csi.Snapshot snapshot(String name, String volumeId) {
        return csi.controller.createSnapshot(Csi.CreateSnapshotRequest.newBuilder().setName(name)
                .setSourceVolumeId(volumeId).build()).getSnapshot();
    }

    private List<Csi.Snapshot> snapshots(Csi.ListSnapshotsRequest req) {
        return csi.controller.listSnapshots(req).getEntriesList().stream().map(Csi.ListSnapshotsResponse.Entry::getSnapshot)
                .toList();
    }

    private static Csi.VolumeContentSource fromSnapshot(String id) {
        return Csi.VolumeContentSource.newBuilder().setSnapshot(Csi.VolumeContentSource.SnapshotSource.newBuilder()
                .setSnapshotId(id)).build();
    }

    private static Csi.VolumeContentSource fromVolume(String id) {
        return Csi.VolumeContentSource.newBuilder().setVolume(Csi.VolumeContentSource.VolumeSource.newBuilder()
                .setVolumeId(id)).build();
    }

    /** Controller-publishes, stages and publishes a mount volume; returns the target path. */
    private Path inUse(String id, String label) throws IOException {
        csi.controllerPublish(id, NODE, SNW, false);
        Path staging = folder("staging/" + label);
        Files.createDirectories(co.resolve("pods"));
        Path target = co.resolve("pods/" + label);
        csi.stage(id, staging, SNW);
        csi.publish(id, staging, target, SNW, false);
        return target;
    }

    private void release(String id, String label) {
        csi.unpublish(id, co.resolve("pods/" + label));
        csi.unstage(id, co.resolve("staging/" + label));
        csi.controllerUnpublish(id, NODE);
    }

    @Test
    void snapshotsAreIdempotentListedPagedAndDeletedByIdAndOutliveTheirVolume() {
        String a = csi.create("snap-a").getVolumeId();
        String b = csi.create("snap-b").getVolumeId();
        Csi.Snapshot first = snapshot("s1", a);
        assertTrue(first.getSnapshotId().matches("[0-9a-f]{32}"), first.toString());
        assertEquals(a, first.getSourceVolumeId());
        assertEquals(64 * MIB, first.getSizeBytes());
        assertTrue(first.getReadyToUse());
        assertTrue(first.getCreationTime().getSeconds() > 0, first.toString());
        for (int i = 0; i < 3; i++) {
            assertEquals(first, snapshot("s1", a));
        }
        // CSI names are unique per plugin: the same name for another volume is refused, nothing made.
        Status taken = refused(Code.ALREADY_EXISTS, () -> snapshot("s1", b));
        assertTrue(taken.getDescription().contains("s1"), taken.toString());
        // A name Berth refuses gets a derived one, the same every time.
        Csi.Snapshot odd = snapshot("ns/snap:two", a);
        assertEquals(odd, snapshot("ns/snap:two", a));
        Csi.Snapshot ofB = snapshot("s2", b);

        refused(Code.INVALID_ARGUMENT, () -> snapshot("", a));
        refused(Code.INVALID_ARGUMENT, () -> snapshot("s3", ""));
        refused(Code.NOT_FOUND, () -> snapshot("s3", "0123456789abcdef0123456789abcdef"));
        refused(Code.INVALID_ARGUMENT, () -> csi.controller.createSnapshot(Csi.CreateSnapshotRequest.newBuilder()
                .setName("s4").setSourceVolumeId(a).putParameters("colour", "blue").build()));

        Set<Csi.Snapshot> all = Set.of(first, odd, ofB);
        assertEquals(all, Set.copyOf(snapshots(Csi.ListSnapshotsRequest.getDefaultInstance())), "a refused create made one");
        assertEquals(Set.of(first, odd), Set.copyOf(snapshots(Csi.ListSnapshotsRequest.newBuilder().setSourceVolumeId(a).build())));
        assertEquals(List.of(ofB), snapshots(Csi.ListSnapshotsRequest.newBuilder().setSnapshotId(ofB.getSnapshotId()).build()));
        assertEquals(List.of(), snapshots(Csi.ListSnapshotsRequest.newBuilder().setSnapshotId("0123456789abcdef").build()));
        assertEquals(List.of(), snapshots(Csi.ListSnapshotsRequest.newBuilder().setSnapshotId("not/an id").build()));
        assertEquals(List.of(), snapshots(Csi.ListSnapshotsRequest.newBuilder().setSourceVolumeId("nope").build()));
        List<Csi.Snapshot> paged = new ArrayList<>();
        String token = "";
        do {
            Csi.ListSnapshotsResponse r = csi.controller.listSnapshots(Csi.ListSnapshotsRequest.newBuilder()
                    .setMaxEntries(2).setStartingToken(token).build());
            assertTrue(r.getEntriesCount() <= 2, r.toString());
            r.getEntriesList().forEach(e -> paged.add(e.getSnapshot()));
            token = r.getNextToken();
        } while (!token.isEmpty());
        assertEquals(3, paged.size(), paged.toString());
        assertEquals(all, Set.copyOf(paged));
        refused(Code.ABORTED, () -> csi.controller.listSnapshots(Csi.ListSnapshotsRequest.newBuilder()
                .setStartingToken("bogus").build()));
        refused(Code.INVALID_ARGUMENT, () -> csi.controller.listSnapshots(Csi.ListSnapshotsRequest.newBuilder()
                .setMaxEntries(-1).build()));
        assertEquals(first, csi.controller.getSnapshot(Csi.GetSnapshotRequest.newBuilder()
                .setSnapshotId(first.getSnapshotId()).build()).getSnapshot());
        refused(Code.NOT_FOUND, () -> csi.controller.getSnapshot(Csi.GetSnapshotRequest.newBuilder()
                .setSnapshotId("0123456789abcdef").build()));

        // DeleteVolume keeps the volume's snapshots: CSI treats them as independent objects.
        csi.delete(a);
        assertEquals(all, Set.copyOf(snapshots(Csi.ListSnapshotsRequest.getDefaultInstance())));
        assertEquals(first, snapshot("s1", a), "a repeat after its volume went still answers the snapshot");

        refused(Code.INVALID_ARGUMENT, () -> csi.controller.deleteSnapshot(Csi.DeleteSnapshotRequest.getDefaultInstance()));
        for (int i = 0; i < 3; i++) {
            csi.controller.deleteSnapshot(Csi.DeleteSnapshotRequest.newBuilder().setSnapshotId(first.getSnapshotId()).build());
        }
        csi.controller.deleteSnapshot(Csi.DeleteSnapshotRequest.newBuilder().setSnapshotId("0123456789abcdef").build());
        csi.controller.deleteSnapshot(Csi.DeleteSnapshotRequest.newBuilder().setSnapshotId("not/an id").build());
        assertEquals(Set.of(odd, ofB), Set.copyOf(snapshots(Csi.ListSnapshotsRequest.getDefaultInstance())));
    }

    @Test
    void aVolumeFromASnapshotHasTheDataOfThatMomentAndNothingLater() throws Exception {
        String id = csi.create("origin").getVolumeId();
        Path target = inUse(id, "origin");
        Files.writeString(target.resolve("before.txt"), "before the snapshot");
        // Taken while published here: frozen around the copy, so what was written is in it.
        Csi.Snapshot snap = snapshot("origin-snap", id);
        Files.writeString(target.resolve("after.txt"), "after the snapshot");

        refused(Code.OUT_OF_RANGE, () -> csi.controller.createVolume(createReq("restored", 32 * MIB, SNW)
                .setVolumeContentSource(fromSnapshot(snap.getSnapshotId())).build()));
        Csi.CreateVolumeRequest restore = createReq("restored", 64 * MIB, SNW)
                .setVolumeContentSource(fromSnapshot(snap.getSnapshotId())).build();
        Csi.Volume restored = csi.controller.createVolume(restore).getVolume();
        assertEquals(fromSnapshot(snap.getSnapshotId()), restored.getContentSource());
        assertEquals(64 * MIB, restored.getCapacityBytes());
        assertEquals(restored, csi.controller.createVolume(restore).getVolume(), "a repeat answers the same volume");
        // The same name with another source (or none) is another volume's: refused.
        refused(Code.ALREADY_EXISTS, () -> csi.controller.createVolume(createReq("restored", 64 * MIB, SNW)
                .setVolumeContentSource(fromVolume(id)).build()));
        refused(Code.ALREADY_EXISTS, () -> csi.create("restored"));

        Path copy = inUse(restored.getVolumeId(), "restored");
        assertEquals("before the snapshot", Files.readString(copy.resolve("before.txt")));
        assertFalse(Files.exists(copy.resolve("after.txt")), "data written after the snapshot is in the restored volume");
        release(restored.getVolumeId(), "restored");
        release(id, "origin");

        // Larger than the snapshot: the copy has the size asked for.
        Csi.Volume bigger = csi.controller.createVolume(createReq("restored-big", 128 * MIB, SNW)
                .setVolumeContentSource(fromSnapshot(snap.getSnapshotId())).build()).getVolume();
        assertEquals(128 * MIB, bigger.getCapacityBytes());
    }

    @Test
    void aCloneIsIndependentOfItsSource() throws Exception {
        String id = csi.create("clone-src").getVolumeId();
        Path source = inUse(id, "clone-src");
        Files.writeString(source.resolve("shared.txt"), "written before the clone");
        Csi.Volume clone = csi.controller.createVolume(createReq("clone", 0, SNW).clearCapacityRange()
                .setVolumeContentSource(fromVolume(id)).build()).getVolume();
        assertEquals(fromVolume(id), clone.getContentSource());
        assertEquals(64 * MIB, clone.getCapacityBytes(), "a clone has its source's size when none is asked for");
        Path copy = inUse(clone.getVolumeId(), "clone");
        assertEquals("written before the clone", Files.readString(copy.resolve("shared.txt")));
        Files.writeString(copy.resolve("shared.txt"), "changed in the clone");
        Files.writeString(source.resolve("source-only.txt"), "only in the source");
        assertEquals("written before the clone", Files.readString(source.resolve("shared.txt")));
        assertFalse(Files.exists(copy.resolve("source-only.txt")));
        release(clone.getVolumeId(), "clone");
        release(id, "clone-src");
        // The source goes; the clone stays whole.
        csi.delete(id);
        Path again = inUse(clone.getVolumeId(), "clone");
        assertEquals("changed in the clone", Files.readString(again.resolve("shared.txt")));
        release(clone.getVolumeId(), "clone");
    }

    @Test
    void expandGrowsAPublishedVolumeOnlineAndNeverShrinks() throws Exception {
        // xfs: it grows mounted with CAP_SYS_ADMIN alone (ext4 also needs CAP_SYS_RESOURCE, which a
        // container may lack); its floor is 300 MB.
        String id = csi.controller.createVolume(createReq("grow", 320 * MIB, SNW).putParameters("fsType", "xfs").build())
                .getVolume().getVolumeId();
        Path target = inUse(id, "grow");
        Files.writeString(target.resolve("kept.txt"), "still here");
        long before = Files.getFileStore(target).getTotalSpace();
        Csi.ControllerExpandVolumeRequest grow = Csi.ControllerExpandVolumeRequest.newBuilder().setVolumeId(id)
                .setCapacityRange(Csi.CapacityRange.newBuilder().setRequiredBytes(640 * MIB)).setVolumeCapability(SNW).build();
        for (int i = 0; i < 3; i++) {
            Csi.ControllerExpandVolumeResponse r = csi.controller.controllerExpandVolume(grow);
            assertEquals(640 * MIB, r.getCapacityBytes());
            assertTrue(r.getNodeExpansionRequired(), "a volume attached to a node needs its filesystem grown there");
        }
        Csi.NodeExpandVolumeRequest nodeGrow = Csi.NodeExpandVolumeRequest.newBuilder().setVolumeId(id)
                .setVolumePath(target.toString()).setStagingTargetPath(co.resolve("staging/grow").toString())
                .setCapacityRange(Csi.CapacityRange.newBuilder().setRequiredBytes(640 * MIB)).setVolumeCapability(SNW).build();
        for (int i = 0; i < 2; i++) {
            assertEquals(640 * MIB, csi.node.nodeExpandVolume(nodeGrow).getCapacityBytes());
        }
        long after = Files.getFileStore(target).getTotalSpace();
        assertTrue(after > before + 250 * MIB, "the filesystem at the target did not grow: " + before + " -> " + after);
        assertEquals("still here", Files.readString(target.resolve("kept.txt")));
        assertEquals(640 * MIB, getVolume(id).getVolume().getCapacityBytes());

        // Asking for less than it has: OK, nothing changes. A limit below its size would shrink it: refused.
        assertEquals(640 * MIB, csi.controller.controllerExpandVolume(grow.toBuilder()
                .setCapacityRange(Csi.CapacityRange.newBuilder().setRequiredBytes(320 * MIB)).build()).getCapacityBytes());
        refused(Code.OUT_OF_RANGE, () -> csi.controller.controllerExpandVolume(grow.toBuilder()
                .setCapacityRange(Csi.CapacityRange.newBuilder().setRequiredBytes(320 * MIB).setLimitBytes(400 * MIB)).build()));
        assertEquals(640 * MIB, getVolume(id).getVolume().getCapacityBytes());
        assertEquals(after, Files.getFileStore(target).getTotalSpace());

        // Bad requests.
        refused(Code.INVALID_ARGUMENT, () -> csi.controller.controllerExpandVolume(grow.toBuilder().setVolumeId("").build()));
        refused(Code.INVALID_ARGUMENT, () -> csi.controller.controllerExpandVolume(grow.toBuilder().clearCapacityRange().build()));
        refused(Code.NOT_FOUND, () -> csi.controller.controllerExpandVolume(grow.toBuilder()
                .setVolumeId("0123456789abcdef0123456789abcdef").build()));
        refused(Code.INVALID_ARGUMENT, () -> csi.node.nodeExpandVolume(nodeGrow.toBuilder().setVolumeId("").build()));
        refused(Code.INVALID_ARGUMENT, () -> csi.node.nodeExpandVolume(nodeGrow.toBuilder().setVolumePath("").build()));
        refused(Code.NOT_FOUND, () -> csi.node.nodeExpandVolume(nodeGrow.toBuilder()
                .setVolumeId("0123456789abcdef0123456789abcdef").build()));
        refused(Code.NOT_FOUND, () -> csi.node.nodeExpandVolume(nodeGrow.toBuilder()
                .setVolumePath(co.resolve("elsewhere").toString()).build()));
        refused(Code.OUT_OF_RANGE, () -> csi.node.nodeExpandVolume(nodeGrow.toBuilder()
                .setCapacityRange(Csi.CapacityRange.newBuilder().setRequiredBytes(1024 * MIB)).build()));
        refused(Code.INVALID_ARGUMENT, () -> csi.node.nodeExpandVolume(nodeGrow.toBuilder()
                .setVolumeCapability(block(Mode.SINGLE_NODE_WRITER)).build()));
        release(id, "grow");

        // Not attached anywhere: grown on the controller, no node work asked for.
        Csi.ControllerExpandVolumeResponse idle = csi.controller.controllerExpandVolume(grow.toBuilder()
                .setCapacityRange(Csi.CapacityRange.newBuilder().setRequiredBytes(700 * MIB)).build());
        assertEquals(700 * MIB, idle.getCapacityBytes());
        assertFalse(idle.getNodeExpansionRequired());
        Path again = inUse(id, "grow");
        assertTrue(Files.getFileStore(again).getTotalSpace() > after, "the next stage did not grow the filesystem");
        release(id, "grow");
    }
}
