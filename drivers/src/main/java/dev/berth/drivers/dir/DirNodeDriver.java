package dev.berth.drivers.dir;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.NotFound;
import dev.berth.core.model.Device;
import dev.berth.core.spi.NodeDriver;
import dev.berth.drivers.VolumeIds;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** A folder is reachable as soon as it exists: attach and detach have nothing to do. */
public final class DirNodeDriver implements NodeDriver {
    private final Path root;

    DirNodeDriver(Path root) {
        this.root = root;
    }

    @Override
    public Device attach(String backendId) {
        return attached(backendId).orElseThrow(() -> new NotFound("the folder " + root.resolve(backendId)
                + " of this volume does not exist", "the volume's data is gone; remove the volume"));
    }

    @Override
    public Optional<Device> attached(String backendId) {
        Path folder = root.resolve(VolumeIds.check(backendId));
        return Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS) ? Optional.of(new Device(folder, false)) : Optional.empty();
    }

    @Override
    public void detach(String backendId) {
        VolumeIds.check(backendId);
    }

    /** Every volume folder: each counts as attached, as {@link #attached} says. */
    @Override
    public Set<String> attachedBackends() {
        Set<String> ids = new TreeSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (VolumeIds.valid(name) && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    ids.add(name);
                }
            }
        } catch (NoSuchFileException e) {
            return Set.of();
        } catch (IOException e) {
            throw new BackendFailure("cannot list " + root + ": " + e, "check its permissions", e);
        }
        return Set.copyOf(ids);
    }
}
