package dev.berth.host;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A process in a mount namespace of its own, as a simulated host's: {@code unshare --mount
 * --propagation private sleep} started with its cwd at {@code target} (a mount point), so it
 * holds that filesystem there. A new namespace copies every mount of this one, and with private
 * propagation (this machine's root mount is private) those copies would keep other tests'
 * filesystems alive after they unmount them (an xfs copy then meets a "duplicate UUID", a loop
 * device is not released): so right after it starts, every copied mount but {@code target} and
 * its ancestors is detached there (umount -l). Closing it kills the process; the namespace, and
 * its mount of {@code target}, go with it.
 */
final class ForeignMountNamespace implements AutoCloseable {
    private static final Duration T = Duration.ofSeconds(30);
    private final Process process;

    ForeignMountNamespace(Path target) throws IOException, InterruptedException {
        Path real = target.toRealPath();
        process = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sleep", "600")
                .directory(real.toFile()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String ours = Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString();
        Path ns = Path.of("/proc/" + process.pid() + "/ns/mnt");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (namespace(ns).isEmpty() || namespace(ns).equals(ours)) {
            assertTrue(System.nanoTime() < deadline && process.isAlive(), "unshare made no mount namespace");
            Thread.sleep(5);
        }
        List<Path> others = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/mountinfo"))) {
            String[] f = line.split(" ");
            Path p = Path.of(EscapedText.octal(f[4]));
            if (!real.startsWith(p)) {
                others.add(p);
            }
        }
        others.sort(Comparator.comparingInt(Path::getNameCount).reversed()); // deepest first
        if (!others.isEmpty()) {
            List<String> argv = new ArrayList<>(List.of("nsenter", "-t", Long.toString(process.pid()), "-m", "--", "umount", "-l"));
            others.forEach(p -> argv.add(p.toString()));
            // Some are gone with their parent already (or vanish meanwhile): each failure is only that.
            new ProcessRunner().runAllowingExit(argv, T, Set.of(0, 1, 32, 64));
        }
    }

    private static String namespace(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return "";
        }
    }

    long pid() {
        return process.pid();
    }

    /** Kills it (SIGKILL) through {@code kill}, or here when null; waits until it is gone. */
    void kill(LinuxHostOps host) throws InterruptedException {
        if (host != null) {
            host.kill(process.pid());
        } else {
            process.destroyForcibly();
        }
        assertTrue(process.waitFor(10, TimeUnit.SECONDS), "the namespace's process did not end");
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill(null);
        }
    }
}
