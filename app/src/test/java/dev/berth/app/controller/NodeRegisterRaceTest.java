package dev.berth.app.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.core.controller.ControllerService;
import dev.berth.core.model.Node;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.StateKeys;
import dev.berth.core.spi.StateStore;
import dev.berth.store.embedded.SqliteStateStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two controllers registering one node at once end with one lease bound to {@code nodes/<id>};
 * every lease granted for a lost write is revoked. Real embedded store; no root needed.
 */
class NodeRegisterRaceTest {
    @TempDir
    Path dir;

    @Test
    void concurrentRegistrationsOnTwoControllersLeaveOneLease() throws Exception {
        try (StateStore store = SqliteStateStore.open(dir.resolve("state"))) {
            ControllerService[] controllers = {Controllers.dir(store, dir.resolve("dirs"), Checkpoints.NONE, Duration.ofMinutes(1)),
                    Controllers.dir(store, dir.resolve("dirs"), Checkpoints.NONE, Duration.ofMinutes(1))};
            for (int round = 0; round < 20; round++) {
                String node = "n" + round;
                ExecutorService threads = Executors.newFixedThreadPool(8);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> results = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    ControllerService c = controllers[i % 2];
                    results.add(threads.submit(() -> {
                        go.await();
                        c.register(new Node(node, "", "test"));
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : results) {
                    f.get();
                }
                threads.shutdown();
                long bound = store.get(StateKeys.node(node)).orElseThrow().lease();
                // Every lease the registrations granted: only the bound one may still exist.
                Set<Long> alive = new HashSet<>();
                for (long id = 1; id <= bound + 64; id++) {
                    if (store.timeToLive(id).isPresent()) {
                        alive.add(id);
                    }
                }
                assertEquals(round + 1, alive.size(), "one live lease per node so far: " + alive);
                controllers[1].heartbeat(node); // resolved from the store, on either controller
            }
        }
    }
}
