package dev.berth.app.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.controller.ControllerService;
import dev.berth.core.error.Busy;
import dev.berth.core.error.NotFound;
import dev.berth.core.model.Node;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.StateKeys;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.spi.StateStore;
import dev.berth.store.embedded.SqliteStateStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Remove is a compare-and-swap against the claim: a claim taken at the same moment as a remove
 * makes exactly one of them lose, never a removed backend object under a live claim. Real
 * embedded store and dir driver, two controllers over one store; no root needed.
 */
class RemoveClaimRaceTest {
    @TempDir
    Path dir;

    @Test
    void aClaimAndARemoveAtOnceNeverBothWin() throws Exception {
        try (StateStore store = SqliteStateStore.open(dir.resolve("state"))) {
            ControllerService a = Controllers.dir(store, dir.resolve("dirs"), Checkpoints.NONE, Duration.ofMinutes(1));
            ControllerService b = Controllers.dir(store, dir.resolve("dirs"), Checkpoints.NONE, Duration.ofMinutes(1));
            a.register(new Node("n1", "", "test"));
            ExecutorService threads = Executors.newFixedThreadPool(2);
            int claimsWon = 0;
            int removesWon = 0;
            for (int round = 0; round < 40; round++) {
                String id = a.create(new CreateVolume("r" + round, null, "64M", null, Map.of())).id();
                String name = "r" + round;
                CountDownLatch go = new CountDownLatch(1);
                Future<Boolean> claim = threads.submit(() -> {
                    go.await();
                    try {
                        b.claim(id, "n1", true, false);
                        return true;
                    } catch (NotFound lost) {
                        return false;
                    }
                });
                Future<Boolean> remove = threads.submit(() -> {
                    go.await();
                    try {
                        a.remove(new VolumeRef(name, null));
                        return true;
                    } catch (Busy lost) {
                        assertTrue(lost.getMessage().contains("attached to node n1"), lost.getMessage());
                        return false;
                    }
                });
                go.countDown();
                boolean claimed = claim.get();
                boolean removed = remove.get();
                assertTrue(claimed != removed, "round " + round + ": exactly one wins (claim " + claimed + ", remove " + removed + ")");
                boolean objectThere = Files.isDirectory(dir.resolve("dirs").resolve(id));
                assertEquals(claimed, objectThere, "a live claim always has its backend object");
                assertEquals(claimed, store.get(StateKeys.claim(id)).isPresent());
                claimsWon += claimed ? 1 : 0;
                removesWon += removed ? 1 : 0;
            }
            threads.shutdown();
            assertEquals(40, claimsWon + removesWon);
        }
    }

    @Test
    void aRemoveCutOffAfterItsMarkRefusesClaimsAndCreatesAndIsFinishedByARetry() throws Exception {
        try (StateStore store = SqliteStateStore.open(dir.resolve("state"))) {
            ControllerService crashing = Controllers.dir(store, dir.resolve("dirs"), step -> {
                if (step.equals("remove-after-mark")) {
                    throw new IllegalStateException("crash at " + step);
                }
            }, Duration.ofMinutes(1));
            ControllerService other = Controllers.dir(store, dir.resolve("dirs"), Checkpoints.NONE, Duration.ofMinutes(1));
            other.register(new Node("n1", "", "test"));
            String id = other.create(new CreateVolume("gone", null, "64M", null, Map.of())).id();
            assertThrows(IllegalStateException.class, () -> crashing.remove(new VolumeRef("gone", null)));

            assertEquals("removing", other.inspect(new VolumeRef("gone", null)).status());
            NotFound refused = assertThrows(NotFound.class, () -> other.claim(id, "n1", true, false));
            assertTrue(refused.getMessage().contains("is being removed"), refused.getMessage());
            Busy busy = assertThrows(Busy.class, () -> other.create(new CreateVolume("gone", null, "64M", null, Map.of())));
            assertTrue(busy.getMessage().contains("is being removed"), busy.getMessage());

            other.remove(new VolumeRef("gone", null));
            assertFalse(Files.exists(dir.resolve("dirs").resolve(id)));
            assertEquals(0, other.list(null).size());
            assertEquals(0, store.list(StateKeys.REMOVING).size());
            assertEquals(0, store.list(StateKeys.NAMES).size());
            other.create(new CreateVolume("gone", null, "64M", null, Map.of())); // the name is free again
        }
    }

    @Test
    void theReconcileFinishesARemoveCutOffAfterItsBackendObjectWent() throws Exception {
        try (StateStore store = SqliteStateStore.open(dir.resolve("state"))) {
            ControllerService crashing = Controllers.dir(store, dir.resolve("dirs"), step -> {
                if (step.equals("remove-after-backend")) {
                    throw new IllegalStateException("crash at " + step);
                }
            }, Duration.ZERO);
            String id = crashing.create(new CreateVolume("half", null, "64M", null, Map.of())).id();
            assertThrows(IllegalStateException.class, () -> crashing.remove(new VolumeRef("half", null)));
            assertFalse(Files.exists(dir.resolve("dirs").resolve(id)));
            assertEquals(1, crashing.list(null).size(), "its records are still there");

            ControllerService reconciler = Controllers.dir(store, dir.resolve("dirs"), Checkpoints.NONE, Duration.ZERO);
            var report = reconciler.reconcile();
            assertTrue(report.removes().getFirst().startsWith("finished the remove of volume local/half"), report.toString());
            assertEquals(0, reconciler.list(null).size());
            assertEquals(0, store.list(StateKeys.REMOVING).size());
        }
    }
}
