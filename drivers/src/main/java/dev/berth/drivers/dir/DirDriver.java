package dev.berth.drivers.dir;

import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.io.RealDirs;
import dev.berth.core.model.Capacity;
import dev.berth.core.model.VolumeSpec;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.NodeDriver;
import dev.berth.core.spi.StorageDriver;
import dev.berth.drivers.FileStores;
import dev.berth.drivers.VolumeIds;
import dev.berth.host.HostPaths;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import dev.berth.core.error.NotFound;
import dev.berth.core.spi.Progress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Volumes as plain folders {@code <root>/<volumeId>}: nothing to attach, nothing to format, no
 * size limit. Runs no tools, so it works for a non-root user.
 */
public final class DirDriver implements StorageDriver {
    static final String SIZE_NOT_ENFORCED = "not enforced (the dir driver keeps data in a plain folder)";

    private final Path root;
    private final HostOps host;
    private final DirNodeDriver node;

    /** {@code host} is only asked for the mount table, so removal never deletes into a mount. */
    public DirDriver(Path root, HostOps host) {
        this.root = HostPaths.check("dir driver root", root);
        this.host = Objects.requireNonNull(host, "host");
        this.node = new DirNodeDriver(this.root);
    }

    @Override
    public String kind() {
        return DirDriverFactory.KIND;
    }

    @Override
    public boolean blockDevices() {
        return false;
    }

    /** The backend id is the volume id: the folder's name. */
    @Override
    public synchronized String create(String volumeId, VolumeSpec spec) {
        Path folder = folder(volumeId);
        ensureRoot();
        try {
            Files.createDirectory(folder);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
                throw new AlreadyExists(folder + " exists but is not a folder"
                        + (Files.isSymbolicLink(folder) ? " (it is a symlink, which Berth never follows)" : ""),
                        "move it out of " + root);
            }
        } catch (IOException e) {
            throw new BackendFailure("cannot create " + folder + ": " + e, "check the permissions of " + root, e);
        }
        return volumeId;
    }

    // ---- snapshots and clones: copies of the folder ---------------------------------------------

    /** Snapshots live in {@code <root>/.snapshots/<snapshotId>}: not a volume id, so never listed as a volume. */
    static final String SNAPSHOTS = ".snapshots";

    @Override
    public Optional<String> copyMethod() {
        return Optional.of("copy");
    }

    /** A copy of the folder under a temporary name, renamed into place; the backend id is the snapshot id. */
    @Override
    public synchronized String snapshot(String backendId, String snapshotId, Progress progress) {
        Path source = folder(backendId);
        Path target = snapshotFolder(snapshotId);
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            return snapshotId; // a retry: the copy was placed whole
        }
        if (!Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
            throw new NotFound("the folder " + source + " to snapshot does not exist", "the volume's data is gone");
        }
        RealDirs.ensure(root, root.resolve(SNAPSHOTS));
        copyInto(source, target, progress);
        return snapshotId;
    }

    /** The snapshot id itself: the folder's name under .snapshots. */
    @Override
    public Optional<String> snapshotBackendIdOf(String snapshotId) {
        return Optional.of(VolumeIds.check(snapshotId));
    }

    @Override
    public synchronized void removeSnapshot(String snapshotBackendId) {
        Path folder = snapshotFolder(snapshotBackendId);
        if (Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
            FolderRemoval.delete(folder, host.mounts());
        }
    }

    @Override
    public boolean snapshotExists(String snapshotBackendId) {
        return Files.isDirectory(snapshotFolder(snapshotBackendId), LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public Map<String, String> describeSnapshot(String snapshotBackendId) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("path", snapshotFolder(snapshotBackendId).toString());
        facts.put("method", "copy (a full copy of the folder)");
        return facts;
    }

    /** The new volume's folder as a copy of a snapshot's or another volume's; an existing folder of this id is kept. */
    @Override
    public synchronized String createFrom(String volumeId, VolumeSpec spec, Source source, Progress progress) {
        Path target = folder(volumeId);
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            return volumeId;
        }
        Path from = source.snapshot() ? snapshotFolder(source.backendId()) : folder(source.backendId());
        if (!Files.isDirectory(from, LinkOption.NOFOLLOW_LINKS)) {
            throw new NotFound("the folder " + from + " to copy does not exist",
                    "it was removed; pick another " + (source.snapshot() ? "snapshot" : "volume"));
        }
        ensureRoot();
        copyInto(from, target, progress);
        return volumeId;
    }

    /** Nothing to grow: a folder has no size (see {@link #sizeEnforced()}). */
    @Override
    public void expand(String backendId, long newSizeBytes) {
        if (!exists(backendId)) {
            throw new NotFound("the folder " + folder(backendId) + " does not exist", "the volume's data is gone");
        }
    }

    @Override
    public boolean sizeEnforced() {
        return false;
    }

    /** Copies {@code source} to {@code <target's folder>/.<name>.<random>.tmp}, then renames it to {@code target}. */
    private void copyInto(Path source, Path target, Progress progress) {
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + java.util.UUID.randomUUID() + ".tmp");
        boolean placed = false;
        try {
            TreeCopy.copy(source, tmp, host.mounts(), progress);
            Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            placed = true;
        } catch (IOException e) {
            throw new BackendFailure("cannot place the copy " + target + ": " + e, "check the permissions of " + root, e);
        } finally {
            if (!placed && Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
                FolderRemoval.delete(tmp, List.of());
            }
        }
    }

    private Path snapshotFolder(String snapshotBackendId) {
        return root.resolve(SNAPSHOTS).resolve(VolumeIds.check(snapshotBackendId));
    }

    @Override
    public Optional<String> backendIdOf(String volumeId) {
        return Optional.of(VolumeIds.check(volumeId));
    }

    @Override
    public synchronized void remove(String backendId) {
        Path folder = folder(backendId);
        if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        FolderRemoval.delete(folder, host.mounts());
    }

    @Override
    public boolean exists(String backendId) {
        return Files.isDirectory(folder(backendId), LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public Capacity capacity() {
        return FileStores.capacity(root);
    }

    @Override
    public Map<String, String> describe(String backendId) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("path", folder(backendId).toString());
        facts.put("size", SIZE_NOT_ENFORCED);
        facts.put("copies", "full copy (a folder copy)");
        return facts;
    }

    @Override
    public NodeDriver node() {
        return node;
    }

    private Path folder(String backendId) {
        return root.resolve(VolumeIds.check(backendId));
    }

    /** Mode 0700: other local users have no business listing or reading volumes. Never a symlink (RealDirs). */
    private void ensureRoot() {
        RealDirs.ensure(root, root);
    }
}
