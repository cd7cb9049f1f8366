package dev.berth.app.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.core.controller.ControllerService;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Node;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.NodeInfo;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.VolumeDefaults;
import dev.berth.core.spi.StateStore;
import dev.berth.store.etcd.EtcdSettings;
import dev.berth.store.etcd.EtcdStateStore;
import dev.berth.store.etcd.testing.EtcdCluster;
import dev.berth.store.json.JsonCodec;
import dev.berth.drivers.dir.DirDriver;
import dev.berth.host.LinuxHostOps;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * etcd tells a lease's time left in whole seconds, rounded down: a node heartbeating on time has
 * under a second left for part of every period, and {@code node ls} must still call it alive (its
 * node key exists only while its lease lives). Real etcd, one member; no root needed.
 */
class EtcdNodeListTest {
    @TempDir
    Path dir;

    @Test
    void aLiveLeaseWithUnderASecondLeftIsAlive() throws Exception {
        EtcdCluster.assumeInstalled();
        try (EtcdCluster etcd = EtcdCluster.start(1);
             StateStore store = EtcdStateStore.open(EtcdSettings.of(etcd.endpoints()).withPrefix("/berth-" + UUID.randomUUID() + "/"))) {
            ControllerService controller = new ControllerService(store, new JsonCodec(), new ServiceRegistry(Map.of("local",
                    new DirDriver(dir.resolve("dirs"), new LinuxHostOps())), "local"),
                    new VolumeDefaults(64 * Controllers.MIB, FsType.EXT4), Duration.ofSeconds(2), Clock.systemUTC(),
                    Checkpoints.NONE, Duration.ofMinutes(1));
            controller.register(new Node("n1", "", "test"));
            long lease = store.get(dev.berth.core.service.StateKeys.node("n1")).orElseThrow().lease();
            // Past the last whole second of the 2 s lease (etcd's minimum), not past the lease.
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (store.timeToLive(lease).orElseThrow().toSeconds() > 0 && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            NodeInfo n = controller.nodes().getFirst();
            assertEquals(true, store.timeToLive(lease).isPresent(), "the lease still lives");
            assertEquals("alive", n.state(), n.toString());
        }
    }
}
