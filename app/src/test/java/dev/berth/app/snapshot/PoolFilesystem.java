package dev.berth.app.snapshot;

import dev.berth.app.testing.Sys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A filesystem for a loop pool, made by the test: a sparse file formatted as ext4 or xfs (xfs has
 * reflinks by default, so its copies are real FICLONEs), attached and mounted under the test's
 * folder. Closed: unmounted and detached.
 */
final class PoolFilesystem implements AutoCloseable {
    final Path mountPoint;
    private final String device;

    private PoolFilesystem(Path mountPoint, String device) {
        this.mountPoint = mountPoint;
        this.device = device;
    }

    static PoolFilesystem make(Path dir, String fs, long bytes) throws Exception {
        Path image = dir.resolve("pool-" + fs + ".fs");
        Path mp = dir.resolve("pool-" + fs);
        Files.createDirectories(mp);
        ok(List.of("/usr/bin/truncate", "-s", Long.toString(bytes), image.toString()));
        String dev = ok(List.of("/usr/sbin/losetup", "--find", "--show", image.toString())).strip();
        try {
            ok(fs.equals("xfs") ? List.of("/usr/sbin/mkfs.xfs", "-q", "-f", dev)
                    : List.of("/usr/sbin/mkfs.ext4", "-q", "-F", dev));
            ok(List.of("/usr/bin/mount", "-t", fs, dev, mp.toString()));
        } catch (RuntimeException e) {
            Sys.run(List.of("/usr/sbin/losetup", "-d", dev));
            throw e;
        }
        return new PoolFilesystem(mp, dev);
    }

    static String ok(List<String> argv) {
        Sys.Out o = Sys.run(argv);
        if (o.code() != 0) {
            throw new IllegalStateException(argv + " failed (" + o.code() + "): " + o.stderr() + o.stdout());
        }
        return o.stdout();
    }

    @Override
    public void close() {
        Sys.run(List.of("/usr/bin/umount", "-l", mountPoint.toString()));
        Sys.run(List.of("/usr/sbin/losetup", "-d", device));
    }
}
