package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.config.Config;
import dev.berth.app.daemon.Wiring;
import dev.berth.app.testing.Sys;
import dev.berth.core.controller.ControllerService;
import dev.berth.core.model.Attachment;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Node;
import dev.berth.core.model.Volume;
import dev.berth.core.node.NodeService;
import dev.berth.core.node.NodeSession;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.MountLayout;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.VolumeDefaults;
import dev.berth.core.service.VolumeView;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StorageDriver;
import dev.berth.drivers.loop.LoopDriverFactory;
import dev.berth.host.testing.Root;
import dev.berth.store.embedded.SqliteStateStore;
import dev.berth.store.json.JsonCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hosts on one kernel share the loop pool: host a took volume db over from host b. When b
 * starts again, its reconcile cleans up its own stale record and never detaches a's device, which
 * it sees in the kernel's list of loop devices like any other (the loop driver only knows the
 * devices b attached itself: loop-devices.json in b's stateDir). Needs root.
 */
class ForeignLoopDeviceIT {
    @TempDir
    Path dir;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private StorageDriver hostA;
    private String backendId;

    @AfterEach
    void stop() throws Exception {
        if (hostA != null && backendId != null) {
            hostA.node().detach(backendId);
        }
        Collections.reverse(closeables);
        for (AutoCloseable c : closeables) {
            c.close();
        }
        Sys.cleanUp(dir);
    }

    @Test
    void aRestartedNodeNeverDetachesAnotherHostsDevice() throws Exception {
        Root.require();
        Path file = dir.resolve("config.yml");
        Files.writeString(file, """
                docker: {enabled: false}
                stateDir: %1$s/b-state
                services:
                  local: {driver: loop, options: {pool: %1$s/pool}}
                """.formatted(dir));
        Config cfg = Wiring.configLoader().load(file, Map.of(), Map.of());
        HostOps host = Wiring.hostOps(cfg);
        StateStore store = SqliteStateStore.open(dir.resolve("store"));
        closeables.add(store);
        ServiceRegistry services = new ServiceRegistry(Wiring.drivers(cfg, host), "local");
        ControllerService controller = new ControllerService(store, new JsonCodec(), services,
                new VolumeDefaults(64L << 20, FsType.EXT4), Duration.ofSeconds(5), Clock.systemUTC());
        closeables.add(new NodeSession(controller, new Node("a", "", "test")).start());
        closeables.add(new NodeSession(controller, new Node("b", "", "test")).start());
        NodeService b = new NodeService(controller, "b", services, host, new MountLayout(dir.resolve("volumes"), "local"),
                Checkpoints.NONE);

        VolumeView v = controller.create(new CreateVolume("db", "local", null, null, null));
        Volume record = controller.volume(v.id()).orElseThrow();
        backendId = record.backendId();
        // Host a: its own loop driver (its own state folder) on the same pool; it holds db now.
        hostA = new LoopDriverFactory().create("local", Map.of("pool", dir.resolve("pool").toString()), host,
                dir.resolve("a-state"));
        Path deviceA = hostA.node().attach(backendId).path();
        controller.claim(v.id(), "a", false, false);
        // b held it before a took it over, and still has its attachment record (a takeover deletes
        // it; a record left by a Berth before grants is written straight into the store here).
        store.put(dev.berth.core.service.StateKeys.attachment("b", v.id()),
                new JsonCodec().encode(new Attachment(v.id(), "/dev/loop-gone", true, null)));

        List<String> report = b.reconciler().run();

        assertTrue(host.loopBacking(deviceA).isPresent(), "a's device is still bound: " + report);
        assertEquals("0", Files.readString(Path.of("/sys/block", deviceA.getFileName().toString(), "loop/autoclear")).strip(),
                "and not marked for autoclear");
        assertTrue(report.stream().anyMatch(l -> l.startsWith("volume db is now held by a")), report.toString());
        assertTrue(report.stream().noneMatch(l -> l.contains("could not")), report.toString());
        assertEquals(Set.of(), services.require("local").node().attachedBackends(), "b sees none of its own");
        assertEquals(Set.of(backendId), hostA.node().attachedBackends());
    }
}
