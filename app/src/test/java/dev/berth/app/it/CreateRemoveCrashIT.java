package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.testing.Cli;
import dev.berth.app.testing.ServeProcess;
import dev.berth.app.testing.Sys;
import dev.berth.app.testing.TestConfig;
import dev.berth.host.testing.Root;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * kill -9 of a real `berth serve` at each named step of create and remove (the loop driver, real
 * image files); then a restart, a retry of the same call and the controller's reconcile must
 * leave no orphan image and no half record. The store is the embedded one unless the system
 * property {@code berth.it.storeConfig} holds YAML to add to the configuration (another store).
 */
class CreateRemoveCrashIT {
    @TempDir
    Path dir;
    Path config;
    Path socket;
    Cli cli;

    @BeforeEach
    void setUp() throws Exception {
        Root.require();
        config = TestConfig.write(dir, "crash-node");
        // api.taskWait 1s: a create or remove cut off more than 2 s ago is the reconcile's to finish.
        Files.writeString(config, Files.readString(config) + "api:\n  taskWait: 1s\n"
                + System.getProperty("berth.it.storeConfig", ""));
        socket = dir.resolve("berth.sock");
        cli = new Cli(config);
    }

    @AfterEach
    void noLeaks() {
        if (Root.isRoot()) {
            Sys.cleanUp(dir);
        }
    }

    List<String> pool() throws Exception {
        if (!Files.isDirectory(dir.resolve("pool"))) {
            return List.of();
        }
        try (var files = Files.list(dir.resolve("pool"))) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    String reconcile() {
        Sys.Out out = Sys.run(List.of("/usr/bin/curl", "-sS", "--fail-with-body", "--unix-socket", socket.toString(),
                "-X", "POST", "http://localhost/v1/reconcile"));
        assertEquals(0, out.code(), out.stdout() + out.stderr());
        return out.stdout();
    }

    @ParameterizedTest
    @ValueSource(strings = {"create-after-reserve", "create-after-backend", "create-before-record", "create-after-record",
            "remove-after-mark", "remove-after-backend"})
    void killAtAStepThenRetryAndReconcileLeaveNoOrphanAndNoHalfRecord(String step) throws Exception {
        boolean removing = step.startsWith("remove");
        Path marker = dir.resolve("paused");
        try (ServeProcess serve = ServeProcess.start(config, dir.resolve("serve1.log"),
                Map.of("BERTH_TEST_PAUSE_AT", step, "BERTH_TEST_PAUSE_MARKER", marker.toString()))) {
            serve.awaitReady(socket, Duration.ofSeconds(60));
            if (removing) {
                Cli.Result created = cli.run("volume", "create", "c1");
                assertEquals(0, created.code(), created + "\n" + serve.log());
            }
            CompletableFuture<Cli.Result> call = CompletableFuture.supplyAsync(() -> removing
                    ? cli.run("volume", "rm", "c1") : cli.run("volume", "create", "c1"));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Files.exists(marker) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(Files.exists(marker), "daemon never reached " + step + ":\n" + serve.log());
            boolean imageThere = pool().stream().anyMatch(f -> f.endsWith(".img"));
            assertEquals(!step.equals("create-after-reserve") && !step.equals("remove-after-backend"), imageThere,
                    "the partial state the crash leaves at " + step + ": " + pool());
            serve.kill9();
            call.get();
        }
        try (ServeProcess serve = ServeProcess.start(config, dir.resolve("serve2.log"), Map.of())) {
            serve.awaitReady(socket, Duration.ofSeconds(60));
            Cli.Result retry = removing ? cli.run("volume", "rm", "c1") : cli.run("volume", "create", "c1");
            // The reconcile at start may have finished a remove already: then the retry finds nothing to remove.
            boolean finishedAtStart = removing && serve.log().contains("finished the remove of volume local/c1");
            assertTrue(retry.code() == 0 || finishedAtStart && retry.code() == 3 && retry.err().contains("no such volume"),
                    "the retry of the cut-off call: " + retry + "\n" + serve.log());
            Thread.sleep(2100); // past the reconcile's bound (2 × api.taskWait)
            String report = reconcile();
            assertTrue(report.contains("\"creates\":[]") && report.contains("\"removes\":[]")
                    && report.contains("\"unowned\":[]") && report.contains("\"failures\":[]"), report);
            if (removing) {
                assertEquals(List.of(), pool(), "the removed volume's image and metadata are gone");
                assertEquals("", cli.run("volume", "ls", "-q").out().strip());
            } else {
                String id = cli.run("volume", "inspect", "c1", "-o", "json").out().replaceAll("(?s).*\"id\"\\s*:\\s*\"([0-9a-f]+)\".*", "$1");
                assertEquals(List.of(id + ".img", id + ".meta.json"), pool(), "one image, the volume's own");
                assertEquals(0, cli.run("volume", "rm", "c1").code());
                assertEquals(List.of(), pool());
            }
            assertEquals(143, serve.terminate(), "SIGTERM ends the JVM with 128+15");
        }
    }
}
