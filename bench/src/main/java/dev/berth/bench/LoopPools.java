package dev.berth.bench;

import dev.berth.core.error.BerthException;
import dev.berth.core.spi.HostOps;
import dev.berth.host.LinuxHostOps;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The two pools of {@code bench/run snapshot}, each a sparse file below the benchmark's folder,
 * formatted and mounted there with {@code mount -o loop}: xfs (mkfs.xfs's default reflink=1, so
 * copies are reflinks) and ext4 (no reflink, so copies are real). {@link #close} takes down what
 * lies on them before the pools themselves: a pool cannot be unmounted while a loop device holds
 * an image in it, which the folder-wide {@link Leftovers#clean} does not order.
 */
final class LoopPools implements AutoCloseable {
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    /** One mounted pool; {@code kind} names it in the table ("xfs", "ext4"). */
    record Pool(String kind, Path image, Path mount) {
        Path resolve(String name) {
            return mount.resolve(name);
        }
    }

    private final Path dir;
    private final List<Pool> pools = new ArrayList<>();

    private LoopPools(Path dir) {
        this.dir = dir;
    }

    /** Makes and mounts both pools, {@code bytes} each (sparse); on a failure, undoes what it made. */
    static LoopPools make(Path dir, long bytes) throws Exception {
        LoopPools p = new LoopPools(dir);
        try {
            p.add("xfs", bytes, List.of("mkfs.xfs", "-q", "-f"));
            p.add("ext4", bytes, List.of("mkfs.ext4", "-q", "-F"));
            return p;
        } catch (Exception e) {
            p.close();
            throw e;
        }
    }

    private void add(String kind, long bytes, List<String> mkfs) throws IOException, InterruptedException {
        Path image = dir.resolve("pool-" + kind + ".img");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(bytes);
        }
        List<String> format = new ArrayList<>(mkfs);
        format.add(image.toString());
        run(format);
        Path mount = Files.createDirectories(dir.resolve("pool-" + kind));
        run(List.of("mount", "-o", "loop", "-t", kind, image.toString(), mount.toString()));
        pools.add(new Pool(kind, image, mount));
    }

    Pool xfs() {
        return pools.get(0);
    }

    Pool ext4() {
        return pools.get(1);
    }

    /** Runs a host tool (argument array, timeout); its stdout. */
    static String run(List<String> argv) throws IOException, InterruptedException {
        return Proc.run(argv, Map.of(), TIMEOUT);
    }

    /**
     * Unmounts every mount below the folder but the pools (deepest first: Berth's volumes, the raw
     * images), detaches the loop devices of images in the pools, then unmounts the pools (their own
     * loop devices go with them: mount -o loop sets autoclear) and removes their files. Failures are
     * printed and the rest goes on; {@link Leftovers} sweeps the folder again after this.
     */
    @Override
    public void close() {
        HostOps host = new LinuxHostOps();
        List<Path> poolMounts = pools.stream().map(Pool::mount).toList();
        host.mounts().stream().map(HostOps.MountEntry::target)
                .filter(t -> t.startsWith(dir) && !poolMounts.contains(t))
                .sorted(Comparator.comparingInt(Path::getNameCount).reversed()).forEach(t -> attempt("unmount " + t,
                        () -> host.unmount(t)));
        for (HostOps.LoopDevice loop : host.loops()) {
            if (poolMounts.stream().anyMatch(m -> loop.backingFile().startsWith(m))) {
                attempt("detach " + loop.device(), () -> host.loopDetach(loop.device()));
            }
        }
        for (Pool p : pools.reversed()) {
            attempt("unmount pool " + p.mount(), () -> host.unmount(p.mount()));
            attempt("remove " + p.image(), () -> {
                try {
                    Files.deleteIfExists(p.image());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
        pools.clear();
    }

    private static void attempt(String what, Runnable step) {
        try {
            step.run();
        } catch (BerthException | java.io.UncheckedIOException e) {
            System.err.println("bench: could not " + what + ": " + e.getMessage());
        }
    }
}
