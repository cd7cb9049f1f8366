package dev.berth.drivers.loop;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.NotSupported;
import dev.berth.core.error.OutOfCapacity;
import dev.berth.core.model.Capacity;
import dev.berth.core.model.Size;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.Progress;
import dev.berth.drivers.FileStores;
import dev.berth.host.MultiMountProtection;
import dev.berth.host.ProcessRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * Copies image files inside one pool: a reflink where the pool's filesystem has them (probed once,
 * by cloning a tiny file), else a sparse copy of the allocated data, which must fit in the free
 * space first. A copy of an ext4 image taken while mounted gets its MMP block reset, so that its
 * first mount does not wait for a holder that is not there.
 */
final class ImageCopier {
    static final String REFLINK = "reflink";
    static final String COPY = "copy";
    private static final Logger LOG = Logger.getLogger(ImageCopier.class.getName());

    private final LoopPool pool;
    private final HostOps host;
    private final ProcessRunner runner;
    private volatile String method;

    ImageCopier(LoopPool pool, HostOps host, ProcessRunner runner) {
        this.pool = pool;
        this.host = host;
        this.runner = runner;
    }

    /** "reflink" or "copy", probed at the first call and then kept (a pool does not change filesystems). */
    String method() {
        String m = method;
        if (m == null) {
            synchronized (this) {
                if (method == null) {
                    method = probe();
                }
                m = method;
            }
        }
        return m;
    }

    private String probe() {
        pool.ensureDir();
        Path a = pool.dir().resolve(".reflink-probe." + UUID.randomUUID() + ".tmp");
        Path b = pool.dir().resolve(".reflink-probe." + UUID.randomUUID() + ".tmp");
        try {
            Files.write(a, new byte[4096]);
            host.reflink(a, b);
            return REFLINK;
        } catch (NotSupported e) {
            return COPY;
        } catch (IOException | RuntimeException e) {
            LOG.warning("could not probe " + pool.dir() + " for reflinks (" + e.getMessage() + "); full copies are made");
            return COPY;
        } finally {
            try {
                Files.deleteIfExists(a);
                Files.deleteIfExists(b);
            } catch (IOException ignored) {
                // a leftover .tmp is ignored by every reader of the pool
            }
        }
    }

    /** A name in {@code folder} nothing else uses, that the pool's clean-up of {@code id} recognises. */
    static Path temporary(Path folder, String id) {
        return folder.resolve("." + id + "." + UUID.randomUUID() + ".tmp");
    }

    /** Copies {@code source} to the new file {@code target} by {@link #method()}; returns the method used. */
    String copy(Path source, Path target, Progress progress) {
        String m = method();
        if (m.equals(REFLINK)) {
            host.reflink(source, target);
            long size = sizeOf(source);
            progress.update(size, size); // instant: one update says it is all done
        } else {
            long needed = host.allocatedBytes(List.of(source));
            Capacity free = FileStores.capacity(target.getParent());
            if (needed > free.available()) {
                throw new OutOfCapacity("a full copy of " + source + " needs " + Size.human(needed) + " (its data) but the"
                        + " pool's filesystem has " + Size.human(free.available()) + " free (it has no reflinks, so every"
                        + " copy takes the space of its data)", "free space in " + pool.dir() + ", or put the pool on xfs"
                        + " with reflink or btrfs, where copies share blocks");
            }
            host.copySparse(source, target, progress);
        }
        clearGuard(target);
        return m;
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    /** Resets the MMP block of an ext4 copy made while its source was mounted (see {@link MultiMountProtection#clearInCopy}). */
    void clearGuard(Path copy) {
        try {
            MultiMountProtection.clearInCopy(copy, runner);
        } catch (BackendFailure e) {
            throw new BackendFailure("the copy " + copy + " keeps the multi-mount protection state of its mounted source, "
                    + "and tune2fs could not reset it: " + e.getMessage(), "install e2fsprogs (tune2fs), then retry", e);
        }
    }
}
