package dev.berth.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Runs real processes: the runner's whole job is the interplay with the OS. */
class ProcessRunnerTest {
    private static final Duration SHORT = Duration.ofSeconds(30);
    private final ProcessRunner runner = new ProcessRunner();

    @Test
    void successfulToolReturnsExitZero() {
        ProcessRunner.Result r = runner.run(List.of("/bin/true"), SHORT);
        assertEquals(0, r.exitCode());
        assertEquals("", r.stdout());
    }

    @Test
    void plainNamesAreResolvedFromTheFixedSystemFolders() {
        String path = runner.resolve("true").toString();
        assertTrue(path.equals("/usr/sbin/true") || path.equals("/sbin/true")
                || path.equals("/usr/bin/true") || path.equals("/bin/true"), path);
        assertEquals(0, runner.run(List.of("true"), SHORT).exitCode());
    }

    @Test
    void toolsGetAFixedEnvironmentNotOurs() {
        String out = runner.run(List.of("/usr/bin/env"), SHORT).stdout();
        assertEquals(Set.of("PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"), Set.copyOf(out.strip().lines().toList()));
    }

    @Test
    void nonZeroExitIsABackendFailure() {
        BackendFailure e = assertThrows(BackendFailure.class, () -> runner.run(List.of("/bin/false"), SHORT));
        assertTrue(e.getMessage().startsWith("false failed (exit 1)"), e.getMessage());
        assertTrue(e.hint().contains("/bin/false"), e.hint());
    }

    @Test
    void allowedExitCodesAreReturned() {
        assertEquals(1, runner.runAllowingExit(List.of("/bin/false"), SHORT, Set.of(0, 1)).exitCode());
        assertThrows(BackendFailure.class, () -> runner.runAllowingExit(List.of("/bin/false"), SHORT, Set.of(0, 2)));
    }

    @Test
    void stderrEndsUpInTheError() {
        BackendFailure e = assertThrows(BackendFailure.class,
                () -> runner.run(List.of("/bin/ls", "/nonexistent-berth-test"), SHORT));
        assertTrue(e.getMessage().startsWith("ls failed (exit 2): "), e.getMessage());
        assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());
    }

    @Test
    void timeoutKillsTheProcess() {
        long start = System.nanoTime();
        BackendFailure e = assertThrows(BackendFailure.class,
                () -> runner.run(List.of("/bin/sleep", "30"), Duration.ofMillis(300)));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(e.getMessage().startsWith("sleep timed out after 300ms and was killed"), e.getMessage());
        assertTrue(e.hint().contains("/bin/sleep 30"), e.hint());
        assertTrue(ms < 5000, "took " + ms + " ms");
    }

    @Test
    void timeoutAlsoKillsDescendants() throws InterruptedException {
        // timeout(1) runs sleep as its child; SIGKILL on timeout(1) alone would leave sleep behind.
        String marker = "59.4321";
        assertThrows(BackendFailure.class, () -> runner.run(
                List.of("/usr/bin/timeout", "60", "/bin/sleep", marker), Duration.ofMillis(500)));
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (alive(marker) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertFalse(alive(marker), "the child sleep " + marker + " survived");
    }

    private static boolean alive(String marker) {
        return ProcessHandle.allProcesses().anyMatch(h -> h.isAlive()
                && h.info().arguments().map(a -> Arrays.asList(a).contains(marker)).orElse(false));
    }

    @Test
    void largeOutputDoesNotDeadlock() {
        ProcessRunner.Result r = runner.run(List.of("/usr/bin/seq", "1", "1500000"), SHORT);
        assertTrue(r.stdout().length() > 10_000_000, "only " + r.stdout().length());
        assertTrue(r.stdout().endsWith("\n1500000\n"));
    }

    @Test
    void outputBeyondTheCapIsRefusedNotTruncated() {
        BackendFailure e = assertThrows(BackendFailure.class, () -> runner.run(
                List.of("/usr/bin/head", "-c", Integer.toString(ProcessRunner.MAX_STDOUT + 1), "/dev/zero"), SHORT));
        assertTrue(e.getMessage().contains("printed more than 16 MiB"), e.getMessage());
    }

    @Test
    void stdinIsFed() {
        byte[] input = "hello\nworld\n".repeat(20_000).getBytes(StandardCharsets.UTF_8);
        ProcessRunner.Result r = runner.run(List.of("/bin/cat"), SHORT, input);
        assertEquals(new String(input, StandardCharsets.UTF_8), r.stdout());
    }

    @Test
    void withoutStdinAToolReadsEndOfFile() {
        assertEquals("", runner.run(List.of("/bin/cat"), SHORT).stdout());
    }

    @Test
    void missingToolIsAClearError() {
        BackendFailure e = assertThrows(BackendFailure.class,
                () -> runner.run(List.of("berth-no-such-tool"), SHORT));
        assertEquals("berth-no-such-tool not found in /usr/sbin, /sbin, /usr/bin, /bin", e.getMessage());
        assertTrue(e.hint().startsWith("install "), e.hint());
        BackendFailure abs = assertThrows(BackendFailure.class,
                () -> runner.run(List.of("/usr/bin/berth-no-such-tool"), SHORT));
        assertTrue(abs.getMessage().contains("not an executable file"), abs.getMessage());
    }

    @Test
    void badCommandsAreRefusedBeforeAnythingRuns() {
        assertThrows(InvalidArgument.class, () -> runner.run(List.of("bin/true"), SHORT));
        assertThrows(InvalidArgument.class, () -> runner.run(List.of("-true"), SHORT));
        assertThrows(InvalidArgument.class, () -> runner.run(List.of("/bin/echo", "a\0b"), SHORT));
        assertThrows(InvalidArgument.class, () -> runner.run(List.of("/bin/../bin/true"), SHORT));
        assertThrows(IllegalArgumentException.class, () -> runner.run(List.of("/bin/true"), Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> runner.run(List.of(), SHORT));
    }
}
