package dev.berth.app.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.controller.ControllerService;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Node;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.StateKeys;
import dev.berth.core.service.VolumeDefaults;
import dev.berth.core.spi.StateStore;
import dev.berth.drivers.dir.DirDriver;
import dev.berth.host.LinuxHostOps;
import dev.berth.store.embedded.SqliteStateStore;
import dev.berth.store.json.JsonCodec;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After a start the controller gives every live node lease a full TTL again (Daemon calls this once
 * its APIs listen): the time the controller took to start must not count against nodes that could
 * not reach it meanwhile. No root needed (dir driver, real embedded store).
 */
class LeaseRenewalTest {
    @TempDir
    Path dir;

    @Test
    void everyLiveNodeLeaseGetsAFullTtlAgain() throws Exception {
        Duration ttl = Duration.ofSeconds(30);
        try (StateStore store = SqliteStateStore.open(dir.resolve("state"))) {
            ServiceRegistry services = new ServiceRegistry(Map.of("scratch",
                    new DirDriver(dir.resolve("dirs"), new LinuxHostOps())), "scratch");
            ControllerService controller = new ControllerService(store, new JsonCodec(), services,
                    new VolumeDefaults(64L << 20, FsType.EXT4), ttl, Clock.systemUTC());
            controller.register(new Node("a", "", "test"));
            controller.register(new Node("b", "", "test"));
            Thread.sleep(300); // let both leases run down a little
            long leaseA = store.get(StateKeys.node("a")).orElseThrow().lease();
            Duration before = store.timeToLive(leaseA).orElseThrow();
            assertTrue(before.compareTo(ttl.minusMillis(250)) < 0, "the lease ran down: " + before);

            assertEquals(2, controller.renewNodeLeases(), "both live nodes renewed");

            Duration after = store.timeToLive(leaseA).orElseThrow();
            assertTrue(after.compareTo(before) > 0, "renewed: " + before + " -> " + after);
            assertTrue(after.compareTo(ttl) <= 0, "never more than one TTL: " + after);
        }
    }
}
