package dev.berth.bench;

import dev.berth.core.error.BerthException;
import dev.berth.core.spi.HostOps;
import dev.berth.host.LinuxHostOps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * After a run (or a failed one): unmounts what is mounted below the benchmark's own folder and
 * detaches the loop devices whose image lies below it. Nothing outside that folder is touched.
 */
final class Leftovers {
    private Leftovers() {
    }

    /** What a benchmark does in its folder. */
    interface Run<T> {
        T in(Path dir) throws Exception;
    }

    /**
     * Runs {@code run} in a fresh folder below /var/tmp (a real disk, unlike /tmp on some hosts),
     * then cleans up after it whatever happened: leftovers first, then the folder.
     */
    static <T> T inFreshFolder(String prefix, Run<T> run) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/var/tmp"), prefix);
        try {
            return run.in(dir);
        } finally {
            clean(dir);
            deleteTree(dir);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static void clean(Path dir) {
        HostOps host = new LinuxHostOps();
        host.mounts().stream().map(HostOps.MountEntry::target).filter(t -> t.startsWith(dir))
                .sorted(Comparator.comparingInt(Path::getNameCount).reversed()).forEach(t -> {
                    try {
                        host.unmount(t);
                        System.err.println("bench: unmounted leftover " + t);
                    } catch (BerthException e) {
                        System.err.println("bench: could not unmount " + t + ": " + e.getMessage());
                    }
                });
        for (HostOps.LoopDevice loop : host.loops()) {
            if (loop.backingFile().startsWith(dir)) {
                try {
                    host.loopDetach(loop.device());
                    System.err.println("bench: detached leftover " + loop.device() + " (" + loop.backingFile() + ")");
                } catch (BerthException e) {
                    System.err.println("bench: could not detach " + loop.device() + ": " + e.getMessage());
                }
            }
        }
    }
}
