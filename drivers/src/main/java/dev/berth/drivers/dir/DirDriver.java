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
import java.util.LinkedHashMap;
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
