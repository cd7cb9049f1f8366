package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.testing.Cli;
import dev.berth.host.testing.Root;
import dev.berth.app.testing.ServeProcess;
import dev.berth.app.testing.Sys;
import dev.berth.app.testing.TestConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * kill -9 of a real `berth serve` in the middle of a mount, at the exact step named by the
 * checkpoint; then a restart must leave no loop device or mount behind and the volume usable.
 */
class CrashRecoveryIT {
    @TempDir
    Path dir;
    Path config;
    Path socket;
    Cli cli;

    @BeforeEach
    void setUp() throws Exception {
        Root.require();
        config = TestConfig.write(dir, "crash-node");
        socket = dir.resolve("berth.sock");
        cli = new Cli(config);
    }

    @AfterEach
    void noLeaks() throws Exception {
        if (!Root.isRoot()) {
            return;
        }
        Sys.cleanUp(dir);
    }

    @ParameterizedTest
    @ValueSource(strings = {"after-attach", "after-mount"})
    void killDuringMountThenRestartLeavesNothingBehind(String step) throws Exception {
        Path marker = dir.resolve("paused");
        try (ServeProcess serve = ServeProcess.start(config, dir.resolve("serve1.log"),
                Map.of("BERTH_TEST_PAUSE_AT", step, "BERTH_TEST_PAUSE_MARKER", marker.toString()))) {
            serve.awaitReady(socket, Duration.ofSeconds(60));
            assertEquals(0, cli.run("volume", "create", "c1").code());
            CompletableFuture<Cli.Result> mount = CompletableFuture.supplyAsync(() -> cli.run("volume", "mount", "c1"));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Files.exists(marker) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(Files.exists(marker), "daemon never reached " + step + ":\n" + serve.log());
            // The crash really leaves partial state behind: a loop device (and for after-mount, a mount).
            assertEquals(1, Sys.loopsUnder(dir.resolve("pool")).size());
            assertEquals(step.equals("after-mount") ? 1 : 0, Sys.mountsUnder(dir.resolve("volumes")).size());
            serve.kill9();
            assertTrue(mount.get().code() != 0, "the interrupted mount must not report success");
        }

        try (ServeProcess serve = ServeProcess.start(config, dir.resolve("serve2.log"), Map.of())) {
            serve.awaitReady(socket, Duration.ofSeconds(60));
            assertEquals(List.of(), Sys.loopsUnder(dir), "loop device leaked after restart:\n" + serve.log());
            assertEquals(List.of(), Sys.mountsUnder(dir), "mount leaked after restart:\n" + serve.log());
            assertTrue(serve.log().contains("cleaned up volume c1"), serve.log());

            Cli.Result again = cli.run("volume", "mount", "c1");
            assertEquals(0, again.code(), again.toString());
            Files.writeString(Path.of(again.out().strip()).resolve("f"), "ok");
            assertEquals(0, cli.run("volume", "unmount", "c1").code());
            assertEquals(0, cli.run("volume", "rm", "c1").code());
            assertEquals(List.of(), Sys.loopsUnder(dir));
            assertEquals(143, serve.terminate(), "SIGTERM ends the JVM with 128+15");
        }
    }

    @Test
    void sigtermKeepsMountsAndRestartReadoptsThem() throws Exception {
        Path data;
        try (ServeProcess serve = ServeProcess.start(config, dir.resolve("a.log"), Map.of())) {
            serve.awaitReady(socket, Duration.ofSeconds(60));
            assertEquals(0, cli.run("volume", "create", "keep").code());
            data = Path.of(cli.run("volume", "mount", "keep", "--ref", "container-1").out().strip());
            Files.writeString(data.resolve("live.txt"), "written before the restart");
            assertEquals(143, serve.terminate(), "SIGTERM ends the JVM with 128+15");
        }
        assertEquals(1, Sys.mountsUnder(dir.resolve("volumes")).size(), "SIGTERM must not unmount volumes in use");
        assertTrue(Files.exists(data.resolve("live.txt")), "the container's data path stays usable");
        try (ServeProcess serve = ServeProcess.start(config, dir.resolve("b.log"), Map.of())) {
            serve.awaitReady(socket, Duration.ofSeconds(60));
            assertTrue(serve.log().contains("re-adopted volume keep (1 mount reference)"), serve.log());
            Cli.Result insp = cli.run("volume", "inspect", "keep", "-o", "json");
            assertTrue(insp.out().contains("container-1"), insp.out());
            assertEquals(0, cli.run("volume", "unmount", "keep", "--ref", "container-1").code());
            assertEquals(List.of(), Sys.mountsUnder(dir));
            assertEquals(List.of(), Sys.loopsUnder(dir));
            assertEquals(0, cli.run("volume", "rm", "keep").code());
            assertEquals(143, serve.terminate(), "SIGTERM ends the JVM with 128+15");
        }
    }
}
