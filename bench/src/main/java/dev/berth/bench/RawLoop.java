package dev.berth.bench;

import dev.berth.host.ProcessRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The tool sequence Berth runs for a first mount and a last unmount of a loop volume, done by hand
 * with the same process runner: the floor any volume plugin on loop devices pays.
 */
final class RawLoop {
    private static final Duration T = Duration.ofMinutes(2);
    private final ProcessRunner run = new ProcessRunner();
    private final Path dir;

    /** Nanoseconds of truncate;losetup;mkfs.ext4;mount and of umount;losetup -d. */
    record Cycle(long mount, long unmount) {
    }

    RawLoop(Path dir) {
        this.dir = dir;
    }

    Cycle firstMountAndUnmount(String name, String size) throws IOException {
        Path file = dir.resolve(name + ".img");
        Path mp = Files.createDirectories(dir.resolve(name));
        long t0 = System.nanoTime();
        run.run(List.of("truncate", "-s", size, file.toString()), T);
        String dev = run.run(List.of("losetup", "-f", "--show", file.toString()), T).stdout().strip();
        run.run(List.of("mkfs.ext4", "-q", "-F", dev), T);
        run.run(List.of("mount", "-t", "ext4", dev, mp.toString()), T);
        long t1 = System.nanoTime();
        run.run(List.of("umount", mp.toString()), T);
        run.run(List.of("losetup", "-d", dev), T);
        long t2 = System.nanoTime();
        Files.delete(file);
        Files.delete(mp);
        return new Cycle(t1 - t0, t2 - t1);
    }
}
