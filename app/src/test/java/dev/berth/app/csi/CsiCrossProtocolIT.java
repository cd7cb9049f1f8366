package dev.berth.app.csi;

import static dev.berth.app.csi.CsiClient.SNW;
import static dev.berth.app.csi.CsiClient.mountsAt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.Csi;
import dev.berth.app.testing.Cli;
import dev.berth.app.testing.Cluster;
import dev.berth.app.testing.LocalBerth;
import dev.berth.app.testing.ServeProcess;
import dev.berth.app.testing.Sys;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.service.VolumeView;
import dev.berth.host.testing.Root;
import dev.berth.protocols.docker.PluginClient;
import dev.berth.protocols.docker.PluginClient.Reply;
import io.grpc.Status.Code;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One state behind CSI, Docker's plugin protocol and the REST API/CLI: a volume made through one is
 * seen by the others; a claim taken through CSI is respected by Docker on another node; a CSI
 * volume fails over with its node. The two-node cases run a controller and two agents as
 * processes (as FencingIT), each agent with its own CSI and Docker sockets.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CsiCrossProtocolIT {
    static final long MIB = 1L << 20;

    @TempDir
    Path dir;
    final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void down() {
        List<AutoCloseable> all = new ArrayList<>(open);
        java.util.Collections.reverse(all);
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("closing " + c + ": " + e);
            }
        }
        for (String co : List.of("co", "co-a", "co-b")) {
            List<String> ours = new ArrayList<>(Sys.mountsUnder(dir.resolve(co)));
            java.util.Collections.reverse(ours);
            ours.forEach(mp -> Sys.run(List.of("/usr/bin/umount", "-l", mp)));
        }
        Sys.cleanUp(dir);
    }

    private <T extends AutoCloseable> T keep(T c) {
        open.add(c);
        return c;
    }

    // ---- one host: Docker, CSI and REST over one state --------------------------------------

    @Test
    void dockerCsiAndRestShareOneState() throws Exception {
        Root.require();
        Path socket = dir.resolve("csi.sock");
        LocalBerth berth = LocalBerth.start(dir, "one", Map.of("csi.socket", socket.toString(), "docker.enabled", "true"));
        // Removes every volume at the end (after the clients are closed, before the mounts are swept).
        open.add(berth);
        PluginClient docker = keep(PluginClient.connect(dir.resolve("docker/berth.sock")));
        CsiClient csi = keep(new CsiClient(socket));

        // Docker → CSI.
        Reply made = docker.call("/VolumeDriver.Create", "{\"Name\":\"fromdocker\",\"Opts\":{\"size\":\"96M\"}}");
        assertEquals(200, made.status(), made.body());
        VolumeView fromDocker = berth.daemon.volumes().inspect(VolumeRef.of("fromdocker"));
        Csi.ListVolumesResponse.Entry listed = csi.controller.listVolumes(Csi.ListVolumesRequest.getDefaultInstance())
                .getEntriesList().stream().filter(e -> e.getVolume().getVolumeContextMap().get("berth.dev/name")
                        .equals("fromdocker")).findFirst().orElseThrow(() -> new AssertionError("not listed through CSI"));
        assertEquals(fromDocker.id(), listed.getVolume().getVolumeId());
        assertEquals(96 * MIB, listed.getVolume().getCapacityBytes());
        assertEquals("local", listed.getVolume().getVolumeContextMap().get("berth.dev/service"));
        // A CSI CreateVolume of that name finds it (idempotent across protocols).
        assertEquals(fromDocker.id(), csi.create("fromdocker", 96 * MIB, SNW).getVolumeId());

        // CSI → Docker and REST/CLI.
        Csi.Volume fromCsi = csi.create("fromcsi", 80 * MIB, SNW);
        Reply list = docker.call("/VolumeDriver.List", "{}");
        assertEquals(200, list.status(), list.body());
        List<String> dockerNames = new ArrayList<>();
        list.json().path("Volumes").forEach(v -> dockerNames.add(v.path("Name").asText()));
        assertTrue(dockerNames.containsAll(List.of("fromdocker", "fromcsi")), dockerNames.toString());
        Reply get = docker.call("/VolumeDriver.Get", "{\"Name\":\"fromcsi\"}");
        assertEquals(200, get.status(), get.body());
        Cli.Result ls = berth.cli.run("volume", "ls");
        assertEquals(0, ls.code(), ls.toString());
        assertTrue(ls.out().contains("fromcsi") && ls.out().contains("fromdocker"), ls.out());
        Cli.Result inspect = berth.cli.run("volume", "inspect", "fromcsi", "-o", "json");
        assertEquals(0, inspect.code(), inspect.toString());
        assertTrue(inspect.out().contains(fromCsi.getVolumeId()), inspect.out());

        // A CSI name Berth does not allow: the derived name is what Docker and the CLI show.
        Csi.Volume odd = csi.create("ns/claim one", 64 * MIB, SNW);
        String derived = odd.getVolumeContextMap().get("berth.dev/name");
        Reply getOdd = docker.call("/VolumeDriver.Get", "{\"Name\":\"" + derived + "\"}");
        assertEquals(200, getOdd.status(), getOdd.body());

        // Removed through Docker: gone from CSI too.
        assertEquals(200, docker.call("/VolumeDriver.Remove", "{\"Name\":\"fromcsi\"}").status());
        assertFalse(csi.controller.listVolumes(Csi.ListVolumesRequest.getDefaultInstance()).getEntriesList().stream()
                .anyMatch(e -> e.getVolume().getVolumeId().equals(fromCsi.getVolumeId())));
        CsiClient.refused(Code.NOT_FOUND, () -> csi.controller.controllerGetVolume(Csi.ControllerGetVolumeRequest
                .newBuilder().setVolumeId(fromCsi.getVolumeId()).build()));
    }

    // ---- two agents -------------------------------------------------------------------------

    private Cluster cluster(String leaseTtl) throws Exception {
        Root.require();
        Cluster c = new Cluster(dir, 1, null, leaseTtl, "30s");
        open.add(c);
        c.startController();
        return c;
    }

    private ServeProcess agent(Cluster c, String node) throws Exception {
        ServeProcess p = keep(c.startAgent(node, "fingerprint: " + c.fingerprint()));
        await(node + "'s CSI socket", Duration.ofSeconds(30), () -> Files.exists(csiSocket(node)));
        return p;
    }

    private Path csiSocket(String node) {
        return dir.resolve(node).resolve("csi.sock");
    }

    private static void await(String what, Duration timeout, BooleanSupplier done) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            Thread.sleep(100);
        }
    }

    @Test
    void aVolumeStagedThroughCsiOnOneNodeIsRefusedToDockerOnAnother() throws Exception {
        Cluster c = cluster("3s");
        await("the controller's CSI socket", Duration.ofSeconds(30), () -> Files.exists(dir.resolve("ctl/csi.sock")));
        agent(c, "a");
        agent(c, "b");
        CsiClient ctl = keep(new CsiClient(dir.resolve("ctl/csi.sock")));
        CsiClient onA = keep(new CsiClient(csiSocket("a")));
        String id = ctl.create("shared", 64 * MIB, SNW).getVolumeId();
        ctl.controllerPublish(id, "a", SNW, false);
        Path staging = Files.createDirectories(dir.resolve("co-a/staging"));
        onA.stage(id, staging, SNW);
        Path target = Files.createDirectories(dir.resolve("co-a/pods")).resolve("shared");
        onA.publish(id, staging, target, SNW, false);
        Files.writeString(target.resolve("from-a"), "a");

        PluginClient dockerB = keep(PluginClient.connect(c.dockerSocket("b")));
        Reply mount = dockerB.call("/VolumeDriver.Mount", "{\"Name\":\"shared\",\"ID\":\"" + "b".repeat(64) + "\"}");
        assertEquals(409, mount.status(), mount.body());
        assertTrue(mount.err().contains("attached to node a"), mount.err());
        assertTrue(Sys.mountsUnder(dir.resolve("b")).isEmpty(), "b mounted it: " + Sys.mountsUnder(dir.resolve("b")));

        // And through CSI: published to a, so ControllerPublish to b names a.
        var refused = CsiClient.refused(Code.FAILED_PRECONDITION, () -> ctl.controllerPublish(id, "b", SNW, false));
        assertTrue(refused.getDescription().contains("node a"), refused.toString());

        // The other way round: mounted through Docker on b, ControllerPublish to a is refused naming b.
        Reply other = dockerB.call("/VolumeDriver.Create", "{\"Name\":\"bdocker\"}");
        assertEquals(200, other.status(), other.body());
        Reply mountB = dockerB.call("/VolumeDriver.Mount", "{\"Name\":\"bdocker\",\"ID\":\"" + "c".repeat(64) + "\"}");
        assertEquals(200, mountB.status(), mountB.body());
        String bId = ctl.controller.listVolumes(Csi.ListVolumesRequest.getDefaultInstance()).getEntriesList().stream()
                .filter(e -> e.getVolume().getVolumeContextMap().get("berth.dev/name").equals("bdocker"))
                .findFirst().orElseThrow().getVolume().getVolumeId();
        var toA = CsiClient.refused(Code.FAILED_PRECONDITION, () -> ctl.controllerPublish(bId, "a", SNW, false));
        assertTrue(toA.getDescription().contains("node b"), toA.toString());
        assertEquals(200, dockerB.call("/VolumeDriver.Unmount", "{\"Name\":\"bdocker\",\"ID\":\"" + "c".repeat(64) + "\"}")
                .status());

        onA.unpublish(id, target);
        onA.unstage(id, staging);
        ctl.controllerUnpublish(id, "a");
        Reply mountAfter = dockerB.call("/VolumeDriver.Mount", "{\"Name\":\"shared\",\"ID\":\"" + "b".repeat(64) + "\"}");
        assertEquals(200, mountAfter.status(), mountAfter.body());
        assertEquals("a", Files.readString(Path.of(mountAfter.json().path("Mountpoint").asText()).resolve("from-a")));
        assertEquals(200, dockerB.call("/VolumeDriver.Unmount", "{\"Name\":\"shared\",\"ID\":\"" + "b".repeat(64) + "\"}")
                .status());
    }

    @Test
    void aCsiVolumeFailsOverWithItsNode() throws Exception {
        Cluster c = cluster("2s");
        await("the controller's CSI socket", Duration.ofSeconds(30), () -> Files.exists(dir.resolve("ctl/csi.sock")));
        ServeProcess a = agent(c, "a");
        agent(c, "b");
        CsiClient ctl = keep(new CsiClient(dir.resolve("ctl/csi.sock")));
        String id;
        Path stagingA = Files.createDirectories(dir.resolve("co-a/staging"));
        Path targetA = Files.createDirectories(dir.resolve("co-a/pods")).resolve("vol");
        try (CsiClient onA = new CsiClient(csiSocket("a"))) {
            id = ctl.create("moving", 64 * MIB, SNW).getVolumeId();
            Map<String, String> first = ctl.controllerPublish(id, "a", SNW, false);
            onA.stage(id, stagingA, SNW);
            onA.publish(id, stagingA, targetA, SNW, false);
            Files.writeString(targetA.resolve("data"), "written on a");
            assertEquals("1", first.get("berth.dev/epoch"), first.toString());
        }
        a.kill9();

        // Unpublish from the dead node: not before its lease and the grace have passed, then OK.
        List<Code> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            Code code = CsiClient.codeOf(() -> ctl.controllerUnpublish(id, "a"));
            if (seen.isEmpty() || seen.getLast() != code) {
                seen.add(code);
            }
            if (code == Code.OK) {
                break;
            }
            assertTrue(System.nanoTime() < deadline, "ControllerUnpublish(a) never OK: " + seen);
            Thread.sleep(200);
        }
        for (Code code : seen.subList(0, seen.size() - 1)) {
            assertTrue(code == Code.FAILED_PRECONDITION || code == Code.UNAVAILABLE || code == Code.ABORTED,
                    "ControllerUnpublish(a) before the grace answered " + seen);
        }
        Csi.ControllerGetVolumeResponse released = ctl.controller.controllerGetVolume(
                Csi.ControllerGetVolumeRequest.newBuilder().setVolumeId(id).build());
        assertEquals(List.of(), released.getStatus().getPublishedNodeIdsList(), released.toString());
        Cli.Result events = Cli.raw(c.admin("events", "--volume", "moving"));
        assertTrue(events.out().contains("release-dead"), events.toString());

        Map<String, String> second = ctl.controllerPublish(id, "b", SNW, false);
        assertTrue(Long.parseLong(second.get("berth.dev/epoch")) > 1, second.toString());
        CsiClient onB = keep(new CsiClient(csiSocket("b")));
        Path stagingB = Files.createDirectories(dir.resolve("co-b/staging"));
        Path targetB = Files.createDirectories(dir.resolve("co-b/pods")).resolve("vol");
        // a's kernel still has the filesystem mounted (only its process died): ext4's multi-mount
        // protection keeps b out until a is back and gives the volume up. Stage on b keeps trying.
        List<Code> stageCodes = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Void> staged = CompletableFuture.runAsync(() -> {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
            while (true) {
                Code code = CsiClient.codeOf(() -> onB.stage(id, stagingB, SNW));
                stageCodes.add(code);
                if (code == Code.OK || System.nanoTime() > end) {
                    return;
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        a = keep(c.startAgent("a", "fingerprint: " + c.fingerprint()));
        a.awaitLog("gave up volume moving", Duration.ofSeconds(60));
        await("a's mounts of the volume gone", Duration.ofSeconds(30),
                () -> Sys.mountsUnder(dir.resolve("a")).isEmpty() && Sys.mountsUnder(dir.resolve("co-a")).isEmpty());
        staged.get(3, TimeUnit.MINUTES);
        assertEquals(Code.OK, stageCodes.getLast(), "NodeStage on b: " + stageCodes + "\n" + Files.readString(dir.resolve("b.log")));
        onB.publish(id, stagingB, targetB, SNW, false);
        assertEquals("written on a", Files.readString(targetB.resolve("data")));
        assertEquals(0, mountsAt(targetA));
        assertEquals(0, mountsAt(stagingA));

        // a, back, does not take it again: its stats say the volume is not its own any more.
        try (CsiClient onA = new CsiClient(csiSocket("a"))) {
            await("a's CSI socket", Duration.ofSeconds(30), () -> Files.exists(csiSocket("a")));
            Code onAStage = CsiClient.codeOf(() -> onA.stage(id, stagingA, SNW));
            assertTrue(onAStage != Code.OK, "a staged the volume b holds");
            assertEquals(0, mountsAt(stagingA));
        }
        onB.unpublish(id, targetB);
        onB.unstage(id, stagingB);
        ctl.controllerUnpublish(id, "b");
        // As an orchestrator does: FAILED_PRECONDITION is retried (a device just detached on another
        // process can still be seen holding the image for a moment); a device that leaked never goes.
        long deleteBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            Code code = CsiClient.codeOf(() -> ctl.delete(id));
            if (code == Code.OK) {
                break;
            }
            assertEquals(Code.FAILED_PRECONDITION, code);
            assertTrue(System.nanoTime() < deleteBy, "DeleteVolume kept failing: the image is still attached");
            Thread.sleep(500);
        }
    }
}
