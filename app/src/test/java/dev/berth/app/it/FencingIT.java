package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.testing.Cli;
import dev.berth.app.testing.Cluster;
import dev.berth.app.testing.ServeProcess;
import dev.berth.app.testing.Sys;
import dev.berth.host.testing.Root;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Self-fencing and preemption with real processes, loop devices and mounts on one machine: a
 * controller and two agents (lease 3 s). A controller that stops answering (SIGSTOP) is what a cut
 * off agent sees; the agent must give its volume up (its writer killed, unmounted, detached) before
 * its lease could end, and say so once it can reach the controller again.
 */
class FencingIT {
    @TempDir
    Path dir;
    Cluster cluster;

    @BeforeEach
    void up() throws Exception {
        Root.require();
        cluster = new Cluster(dir);
        cluster.startController();
    }

    @AfterEach
    void down() throws Exception {
        Sys.run(List.of("kill", "-CONT", String.valueOf(cluster.controller.pid())));
        cluster.close();
        Sys.cleanUp(dir);
    }

    private Cli.Result ok(String[] args) {
        Cli.Result r = Cli.raw(args);
        assertEquals(0, r.code(), r.toString());
        return r;
    }

    private static void await(String what, Duration timeout, java.util.function.BooleanSupplier done) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void preemptTakesTheVolumeAndTheOldHolderGivesItUpAndSaysSo() throws Exception {
        ok(cluster.admin("volume", "create", "pre", "--size", "64M"));
        try (ServeProcess a = cluster.startAgent("a", "fingerprint: " + cluster.fingerprint());
             ServeProcess b = cluster.startAgent("b", "fingerprint: " + cluster.fingerprint())) {
            Path dataA = Path.of(ok(cluster.onAgent("a", "volume", "mount", "pre")).out().strip());
            Files.writeString(dataA.resolve("from-a"), "a");

            Cli.Result refused = Cli.raw(cluster.onAgent("b", "volume", "mount", "pre"));
            assertEquals(4, refused.code(), refused.toString());
            assertTrue(refused.err().contains("attached to node a"), refused.toString());

            Path dataB = Path.of(ok(cluster.onAgent("b", "volume", "mount", "pre", "--preempt")).out().strip());
            a.awaitLog("gave up volume pre", Duration.ofSeconds(15));
            await("a's mount gone", Duration.ofSeconds(10), () -> Sys.mountsUnder(dir.resolve("a")).isEmpty());
            assertEquals("a", Files.readString(dataB.resolve("from-a")));
            assertFalse(Files.readString(dir.resolve("a/state/grants.json")).contains("\"node\""),
                    "a's grant file still holds a grant");

            String inspect = ok(cluster.admin("volume", "inspect", "pre", "-o", "json")).out();
            assertTrue(inspect.contains("\"node\" : \"b\"") && inspect.contains("\"epoch\" : 2"), inspect);
            assertTrue(inspect.contains("\"kind\" : \"preempt\""), inspect);
            await("a's report", Duration.ofSeconds(10),
                    () -> Cli.raw(cluster.admin("events", "--volume", "pre")).out().contains("gave-up"));
            String events = ok(cluster.admin("events")).out();
            assertTrue(events.contains("preempt") && events.contains("gave-up"), events);
        }
    }

    @Test
    void anAgentThatCannotRenewItsLeaseGivesItsVolumeUpBeforeTheLeaseCouldEnd() throws Exception {
        ok(cluster.admin("volume", "create", "cut", "--size", "64M"));
        try (ServeProcess a = cluster.startAgent("a", "fingerprint: " + cluster.fingerprint())) {
            Path data = Path.of(ok(cluster.onAgent("a", "volume", "mount", "cut")).out().strip());
            // A writer outside Docker: a process whose working folder is on the volume.
            Process writer = new ProcessBuilder("sh", "-c", "while true; do echo x >> log; sleep 0.05; done")
                    .directory(data.toFile()).start();
            try {
                Sys.run(List.of("kill", "-STOP", String.valueOf(cluster.controller.pid())));
                // Lease 3 s, margin 0.75 s: the agent fences by lastAck + 2.25 s (the arithmetic is
                // FencingRulesTest's; this checks what it does on a real host).
                a.awaitLog("gave up volume cut", Duration.ofSeconds(10));
                assertTrue(Sys.mountsUnder(dir.resolve("a")).isEmpty(), "still mounted");
                assertTrue(Sys.loopsUnder(dir).isEmpty(), "a loop device is left");
                assertTrue(writer.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "the writer was not stopped");
            } finally {
                writer.destroyForcibly();
                Sys.run(List.of("kill", "-CONT", String.valueOf(cluster.controller.pid())));
            }
            await("a's report", Duration.ofSeconds(15),
                    () -> Cli.raw(cluster.admin("events", "--volume", "cut")).out().contains("gave-up"));
            String inspect = ok(cluster.admin("volume", "inspect", "cut", "-o", "json")).out();
            assertTrue(inspect.contains("\"status\" : \"available\""), inspect);
        }
    }

    /**
     * Only the agent dies: its host's writer goes on, so nothing in Berth can fence it. The volume
     * is taken over (lease ended + grace) but the new holder's mount is refused by ext4's
     * multi-mount protection until the old agent is back, sees the higher epoch and gives up.
     */
    @Test
    void aDeadAgentsWriterKeepsTheKernelGuardUpUntilTheAgentReturnsAndGivesUp() throws Exception {
        ok(cluster.admin("volume", "create", "orphan", "--size", "64M"));
        ServeProcess a = cluster.startAgent("a", "fingerprint: " + cluster.fingerprint());
        try (ServeProcess b = cluster.startAgent("b", "fingerprint: " + cluster.fingerprint())) {
            Path dataA = Path.of(ok(cluster.onAgent("a", "volume", "mount", "orphan")).out().strip());
            Process writer = new ProcessBuilder("sh", "-c", "while true; do echo a >> log; sleep 0.05; done")
                    .directory(dataA.toFile()).start();
            try {
                a.kill9();
                java.util.concurrent.CompletableFuture<Cli.Result> onB = java.util.concurrent.CompletableFuture.supplyAsync(
                        () -> Cli.raw(cluster.onAgent("b", "volume", "mount", "orphan")));
                b.awaitLog("still mounted by node a's kernel", Duration.ofSeconds(60));
                assertTrue(Sys.mountsUnder(dir.resolve("b")).isEmpty(), "b mounted what a's kernel still has");
                String inspect = ok(cluster.admin("volume", "inspect", "orphan", "-o", "json")).out();
                assertTrue(inspect.contains("\"node\" : \"b\"") && inspect.contains("\"kind\" : \"takeover\""), inspect);
                assertFalse(onB.isDone(), "b's mount gave up while the guard was up: " + (onB.isDone() ? onB.get() : ""));

                a = cluster.startAgent("a", "fingerprint: " + cluster.fingerprint());
                a.awaitLog("gave up volume orphan", Duration.ofSeconds(30));
                assertTrue(writer.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "a's writer was not stopped");
                Cli.Result mounted = onB.get(120, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(0, mounted.code(), mounted + "\n" + b.log());
                Path dataB = Path.of(mounted.out().strip());
                assertTrue(Files.readString(dataB.resolve("log")).startsWith("a"), "a's records are there");
                assertTrue(Sys.mountsUnder(dir.resolve("a")).isEmpty(), "a still has it mounted");
            } finally {
                writer.destroyForcibly();
                a.close();
            }
        }
    }
}
