package dev.berth.drivers.loop;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.io.RealDirs;
import dev.berth.drivers.VolumeIds;
import dev.berth.host.HostPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The loop driver's pool: a folder of sparse image files, one per volume, named
 * {@code <volumeId>.img}. The only place that turns backend ids into paths, so every path the
 * driver touches is a checked name inside this folder.
 */
final class LoopPool {
    static final String SUFFIX = ".img";

    private final Path dir;

    LoopPool(Path dir) {
        this.dir = HostPaths.check("loop pool", dir);
    }

    Path dir() {
        return dir;
    }

    static String backendId(String volumeId) {
        return VolumeIds.check(volumeId) + SUFFIX;
    }

    static boolean isBackendId(String name) {
        return name != null && name.endsWith(SUFFIX)
                && VolumeIds.valid(name.substring(0, name.length() - SUFFIX.length()));
    }

    /** The image file of {@code backendId}; refuses anything that is not {@code <volumeId>.img}. */
    Path file(String backendId) {
        if (!isBackendId(backendId)) {
            throw new InvalidArgument("'" + backendId + "' is not a loop driver backend id",
                    "loop backend ids are <volume id>" + SUFFIX);
        }
        return dir.resolve(backendId);
    }

    /** True for a regular file; a symlink planted in the pool never counts as a volume. */
    static boolean isImage(Path file) {
        return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Creates the pool folder (mode 0700: it holds every volume's raw data) if it is missing. The
     * pool itself must be a real folder, not a symlink (RealDirs): configure the real path instead.
     */
    void ensureDir() {
        RealDirs.ensure(dir, dir);
    }

    /** The pool as the kernel names it (symlinks resolved), for matching losetup's backing files. */
    Optional<Path> realDir() {
        try {
            return Optional.of(dir.toRealPath());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
