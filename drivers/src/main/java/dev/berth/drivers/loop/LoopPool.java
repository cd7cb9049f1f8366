package dev.berth.drivers.loop;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.io.RealDirs;
import dev.berth.drivers.VolumeIds;
import dev.berth.host.HostPaths;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The loop driver's pool: a folder of sparse image files, one per volume, named
 * {@code <volumeId>.img}, each with its metadata file {@code <volumeId>.meta.json} (see
 * {@link ImageMetadata}). The only place that turns backend ids into paths, so every path the
 * driver touches is a checked name inside this folder. Nothing but {@code <volumeId>.img} is ever
 * taken for a volume: metadata and temporary files ({@code .<name>.tmp}) are not backend ids.
 */
final class LoopPool {
    static final String SUFFIX = ".img";

    private final Path dir;
    /** The pool as last resolved, so a pool folder removed from outside can still be named as the kernel names it. */
    private volatile Path lastRealDir;

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

    /** The metadata file of {@code backendId}'s volume. */
    Path metadata(String backendId) {
        file(backendId);
        return dir.resolve(volumeId(backendId) + ImageMetadata.SUFFIX);
    }

    static String volumeId(String backendId) {
        return backendId.substring(0, backendId.length() - SUFFIX.length());
    }

    /** Backend ids of the image files in the pool (regular files named {@code <volumeId>.img}), sorted. */
    List<String> images() {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (isBackendId(name) && isImage(f)) {
                    ids.add(name);
                }
            }
        } catch (IOException e) {
            throw new BackendFailure("cannot list the loop pool " + dir + ": " + e, "check the permissions of " + dir, e);
        }
        Collections.sort(ids);
        return ids;
    }

    /**
     * Deletes the temporary files a create of {@code volumeId} left behind (a crash between making
     * {@code .<id>.img.*.tmp} or {@code .<id>.meta.json.*.tmp} and placing it) that are at least
     * {@code minAge} old, so a live create's own temporary file is not taken from under it.
     */
    void removeLeftovers(String volumeId, java.time.Duration minAge) {
        removeLeftovers(dir, volumeId, minAge);
    }

    /** As {@link #removeLeftovers(String, java.time.Duration)}, in {@code folder} (the pool or its snapshots folder). */
    void removeLeftovers(Path folder, String volumeId, java.time.Duration minAge) {
        if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        String prefix = "." + VolumeIds.check(volumeId) + ".";
        java.time.Instant before = java.time.Instant.now().minus(minAge);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, f -> {
            String n = f.getFileName().toString();
            return n.startsWith(prefix) && n.endsWith(".tmp");
        })) {
            for (Path f : files) {
                try {
                    if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)
                            && !Files.getLastModifiedTime(f, LinkOption.NOFOLLOW_LINKS).toInstant().isAfter(before)) {
                        Files.deleteIfExists(f);
                    }
                } catch (java.nio.file.NoSuchFileException gone) {
                    // its create placed or removed it meanwhile
                }
            }
        } catch (IOException e) {
            throw new BackendFailure("cannot clean up temporary files in " + folder + ": " + e,
                    "check the permissions of " + folder, e);
        }
    }

    /** The image file of {@code backendId}; refuses anything that is not {@code <volumeId>.img}. */
    Path file(String backendId) {
        if (!isBackendId(backendId)) {
            throw new InvalidArgument("'" + backendId + "' is not a loop driver backend id",
                    "loop backend ids are <volume id>" + SUFFIX);
        }
        return dir.resolve(backendId);
    }

    /** Where snapshot images live: out of {@link #images()}'s sight (a folder, not a {@code <id>.img}). */
    static final String SNAPSHOTS = "snapshots";

    Path snapshotsDir() {
        return dir.resolve(SNAPSHOTS);
    }

    /** A snapshot's backend id: {@code snapshots/<snapshotId>.img}. */
    static String snapshotBackendId(String snapshotId) {
        return SNAPSHOTS + "/" + VolumeIds.check(snapshotId) + SUFFIX;
    }

    /** The snapshot image of {@code snapshotBackendId}; refuses anything that is not {@code snapshots/<id>.img}. */
    Path snapshotFile(String snapshotBackendId) {
        String prefix = SNAPSHOTS + "/";
        if (snapshotBackendId == null || !snapshotBackendId.startsWith(prefix)
                || !isBackendId(snapshotBackendId.substring(prefix.length()))) {
            throw new InvalidArgument("'" + snapshotBackendId + "' is not a loop driver snapshot id",
                    "loop snapshot ids are " + prefix + "<snapshot id>" + SUFFIX);
        }
        return snapshotsDir().resolve(snapshotBackendId.substring(prefix.length()));
    }

    Path snapshotMetadata(String snapshotBackendId) {
        Path f = snapshotFile(snapshotBackendId);
        String name = f.getFileName().toString();
        return f.resolveSibling(name.substring(0, name.length() - SUFFIX.length()) + ImageMetadata.SUFFIX);
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
            Path real = dir.toRealPath();
            lastRealDir = real;
            return Optional.of(real);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** {@link #realDir()}, or where the pool was when it last existed (it may have been removed since). */
    Path kernelDir() {
        return realDir().orElseGet(() -> lastRealDir != null ? lastRealDir : dir);
    }
}
