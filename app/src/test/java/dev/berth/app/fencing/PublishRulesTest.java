package dev.berth.app.fencing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.controller.ControllerService;
import dev.berth.core.error.AttachedElsewhere;
import dev.berth.core.error.Busy;
import dev.berth.core.error.NotFound;
import dev.berth.core.ha.Monotonic;
import dev.berth.core.model.Event;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Grant;
import dev.berth.core.model.Node;
import dev.berth.core.node.FenceOps;
import dev.berth.core.node.GrantBook;
import dev.berth.core.node.NodeService;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.MountLayout;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.StateKeys;
import dev.berth.core.service.VolumeDefaults;
import dev.berth.core.service.VolumeRef;
import dev.berth.drivers.dir.DirDriver;
import dev.berth.host.LinuxHostOps;
import dev.berth.store.embedded.SqliteStateStore;
import dev.berth.store.json.JsonCodec;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules of an orchestrator's publish and unpublish (CSI's ControllerPublish/Unpublish) over
 * the same claims Docker and the CLI take, without root: one controller over the real embedded
 * store, node services "a" and "b" with the dir driver, a manual clock for the grace.
 */
class PublishRulesTest {
    private static final Duration GRACE = Duration.ofSeconds(2);
    private static final VolumeRef DB = new VolumeRef("db", null);

    @TempDir
    Path dir;
    private SqliteStateStore store;
    private ControllerService controller;
    private final FencingRulesTest.ManualClock clock = new FencingRulesTest.ManualClock();
    private NodeService b;
    private String id;

    @BeforeEach
    void up() {
        store = SqliteStateStore.open(dir.resolve("state"));
        ServiceRegistry services = new ServiceRegistry(Map.of("local", new DirDriver(dir.resolve("dirs"), new LinuxHostOps())),
                "local");
        controller = new ControllerService(store, new JsonCodec(), services, new VolumeDefaults(64L << 20, FsType.EXT4),
                Duration.ofSeconds(30), Clock.systemUTC(), Checkpoints.NONE, Duration.ofMinutes(1), GRACE, clock);
        controller.register(new Node("a", "", "test"));
        controller.register(new Node("b", "", "test"));
        b = new NodeService(controller, "b", services, new LinuxHostOps(), new MountLayout(dir.resolve("mnt-b"), "local"),
                Checkpoints.NONE, GrantBook.open(dir.resolve("grants-b.json"), new JsonCodec()), FenceOps.NONE,
                Duration.ofSeconds(10), (Monotonic) clock);
        id = controller.create(new CreateVolume("db", null, "64M", null, Map.of())).id();
    }

    @AfterEach
    void down() {
        store.close();
    }

    private void kill(String node) {
        store.revoke(store.get(StateKeys.node(node)).orElseThrow().lease());
    }

    @Test
    void publishTakesAnExplicitClaimForTheNodeAndIsIdempotent() {
        Grant g = controller.publish(id, "a");
        assertEquals("a", g.node());
        assertTrue(g.explicit());
        assertEquals(g, controller.publish(id, "a"));
        assertEquals("a", controller.inspect(DB).node());
    }

    @Test
    void publishToAnotherNodeWhileTheHolderLivesIsRefusedNamingIt() {
        controller.publish(id, "a");
        AttachedElsewhere e = assertThrows(AttachedElsewhere.class, () -> controller.publish(id, "b"));
        assertEquals("a", e.holder());
        assertEquals("a", controller.inspect(DB).node());
    }

    @Test
    void aDockerMountOnAnotherNodeIsRefusedNamingThePublishedNode() {
        controller.publish(id, "a");
        AttachedElsewhere e = assertThrows(AttachedElsewhere.class, () -> b.mount(DB, "docker:" + "0".repeat(64)));
        assertEquals("a", e.holder());
        assertTrue(controller.refs("b", id).isEmpty());
    }

    @Test
    void unknownVolumesAndUnregisteredNodesAreNotFound() {
        assertThrows(NotFound.class, () -> controller.publish("0123456789abcdef0123456789abcdef", "a"));
        NotFound n = assertThrows(NotFound.class, () -> controller.publish(id, "nobody"));
        assertTrue(n.getMessage().contains("not registered"), n.getMessage());
    }

    @Test
    void unpublishIsRefusedWhileTheLiveHolderStillUsesTheVolumeAndReleasesItAfterwards() {
        b.mount(DB, "csi:stage:00000000:/stage/x");
        Busy busy = assertThrows(Busy.class, () -> controller.unpublish(id, "b"));
        assertTrue(busy.getMessage().contains("still in use on node b"), busy.getMessage());
        b.unmount(DB, "csi:stage:00000000:/stage/x");
        controller.unpublish(id, "b");
        assertEquals(null, controller.inspect(DB).node());
    }

    @Test
    void unpublishFromANodeThatDoesNotHoldTheVolumeOrOfAnUnknownVolumeDoesNothing() {
        controller.publish(id, "a");
        controller.unpublish(id, "b");
        controller.unpublish("0123456789abcdef0123456789abcdef", "a");
        assertEquals("a", controller.inspect(DB).node());
    }

    @Test
    void unpublishFromADeadNodeReleasesAfterTheGraceWithAnEventAndTheNextPublishBumpsTheEpoch() {
        b.mount(DB, "c1");
        kill("b");
        long slept = clock.slept.get();
        controller.unpublish(id, "b");
        assertTrue(clock.slept.get() - slept >= GRACE.toNanos(), "released before the grace");
        assertEquals(null, controller.inspect(DB).node());
        assertTrue(controller.refs("b", id).isEmpty(), "the dead node's references went with the claim");
        List<Event> events = controller.events(DB, 10);
        assertEquals(Event.RELEASE_DEAD, events.getLast().kind());
        assertTrue(events.getLast().reason().contains("unpublished"), events.getLast().reason());
        Grant next = controller.publish(id, "a");
        assertEquals(3, next.epoch());
    }

    @Test
    void publishToASurvivorTakesADeadHoldersVolumeOverAfterTheGrace() {
        controller.publish(id, "a");
        kill("a");
        long slept = clock.slept.get();
        Grant g = controller.publish(id, "b");
        assertTrue(clock.slept.get() - slept >= GRACE.toNanos());
        assertEquals("b", g.node());
        assertEquals(2, g.epoch());
        assertEquals(Event.TAKEOVER, controller.events(DB, 10).getLast().kind());
    }
}
