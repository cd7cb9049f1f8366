package dev.berth.app.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.controller.ControllerService;
import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.NotFound;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.StateKeys;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.service.VolumeView;
import dev.berth.core.spi.StateStore;
import dev.berth.store.embedded.SqliteStateStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Create reserves the name with its future id before the backend object exists, so concurrent
 * creates (two controllers over one store) and retries after a crash end with one volume and one
 * backend object. Real embedded store and dir driver; no root needed.
 */
class CreateRaceTest {
    @TempDir
    Path dir;

    static CreateVolume req(String name, String size) {
        return new CreateVolume(name, null, size, null, Map.of());
    }

    List<String> folders() throws Exception {
        if (!Files.isDirectory(dir.resolve("dirs"))) {
            return List.of();
        }
        try (var s = Files.list(dir.resolve("dirs"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void twoHundredConcurrentCreatesOfOneNameOnTwoControllersMakeOneVolumeAndOneBackendObject() throws Exception {
        try (StateStore store = SqliteStateStore.open(dir.resolve("state"))) {
            ControllerService[] controllers = {Controllers.dir(store, dir.resolve("dirs"), Checkpoints.NONE, Duration.ofMinutes(1)),
                    Controllers.dir(store, dir.resolve("dirs"), Checkpoints.NONE, Duration.ofMinutes(1))};
            ExecutorService threads = Executors.newFixedThreadPool(32);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<VolumeView>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                ControllerService c = controllers[i % 2];
                results.add(threads.submit(() -> {
                    go.await();
                    return c.create(req("shared", "64M"));
                }));
            }
            go.countDown();
            Set<String> ids = new HashSet<>();
            for (Future<VolumeView> f : results) {
                ids.add(f.get().id());
            }
            threads.shutdown();
            assertEquals(1, ids.size(), "every create answered the same volume: " + ids);
            assertEquals(List.of(ids.iterator().next()), folders(), "one backend object, the volume's");
            assertEquals(1, controllers[1].list(null).size());
            assertEquals(List.of(), store.list(StateKeys.CREATING), "no reservation is left");
            assertEquals(List.of(), controllers[0].reconcile().unowned());
        }
    }

    @Test
    void aCreateCutOffAfterItsBackendObjectIsContinuedByARetryOnAnotherController() throws Exception {
        try (StateStore store = SqliteStateStore.open(dir.resolve("state"))) {
            ControllerService crashing = Controllers.dir(store, dir.resolve("dirs"), step -> {
                if (step.equals("create-before-record")) {
                    throw new IllegalStateException("crash at " + step); // the process would die here
                }
            }, Duration.ofMinutes(1));
            ControllerService other = Controllers.dir(store, dir.resolve("dirs"), Checkpoints.NONE, Duration.ofMinutes(1));
            assertThrows(IllegalStateException.class, () -> crashing.create(req("cut", "64M")));
            assertEquals(1, folders().size(), "the backend object exists, its record does not");
            String reservedId = folders().getFirst();

            NotFound nf = assertThrows(NotFound.class, () -> other.inspect(new VolumeRef("cut", null)));
            assertTrue(nf.getMessage().contains("in progress or was cut off"), nf.getMessage());
            assertEquals(List.of(), other.list(null), "a reservation is no volume yet");
            assertEquals(List.of(), other.reconcile().unowned(), "the reservation owns its object");
            AlreadyExists differs = assertThrows(AlreadyExists.class, () -> other.create(req("cut", "128M")));
            assertTrue(differs.getMessage().contains("is being created"), differs.getMessage());

            VolumeView v = other.create(req("cut", "64M"));
            assertEquals(reservedId, v.id(), "the retry used the reserved id");
            assertEquals(List.of(reservedId), folders(), "and the same backend object");
            assertEquals(List.of(), store.list(StateKeys.CREATING));
        }
    }

    @Test
    void theReconcileCompletesAStaleReservationAndLeavesAFreshOneToItsCreator() throws Exception {
        try (StateStore store = SqliteStateStore.open(dir.resolve("state"))) {
            ControllerService crashing = Controllers.dir(store, dir.resolve("dirs"), step -> {
                if (step.equals("create-after-reserve")) {
                    throw new IllegalStateException("crash at " + step);
                }
            }, Duration.ofMinutes(1));
            assertThrows(IllegalStateException.class, () -> crashing.create(req("stale", "64M")));
            assertEquals(List.of(), folders(), "cut off before the backend object");

            ControllerService patient = Controllers.dir(store, dir.resolve("dirs"), Checkpoints.NONE, Duration.ofMinutes(1));
            var fresh = patient.reconcile();
            assertTrue(fresh.creates().getFirst().contains("in progress"), fresh.toString());
            assertEquals(List.of(), patient.list(null));

            ControllerService reconciler = Controllers.dir(store, dir.resolve("dirs"), Checkpoints.NONE, Duration.ZERO);
            var done = reconciler.reconcile();
            assertTrue(done.creates().getFirst().startsWith("completed the create of volume local/stale"), done.toString());
            VolumeView v = reconciler.inspect(new VolumeRef("stale", null));
            assertEquals(List.of(v.id()), folders());
            assertEquals(v.id(), crashing.create(req("stale", "64M")).id(), "a late retry finds the completed volume");
            assertEquals(List.of(), reconciler.reconcile().lines(), "nothing left to do: idempotent");
        }
    }
}
