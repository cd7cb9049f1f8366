package dev.berth.core.service;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.model.Device;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Volume;
import dev.berth.core.spi.HostOps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Turns an attached device into a mounted filesystem and back. Formats only a device on which no
 * signature at all is found: data is never reformatted, whatever the volume record says.
 */
final class Mounter {
    private static final Logger LOG = Logger.getLogger(Mounter.class.getName());
    private final HostOps host;

    Mounter(HostOps host) {
        this.host = host;
    }

    /** Makes sure {@code device} is mounted at {@code mountPoint} with a data folder; idempotent. */
    void mount(Volume v, Device device, Path mountPoint) {
        if (!device.block()) {
            ensureDir(MountLayout.containerPath(device.path()));
            return;
        }
        Optional<HostOps.MountEntry> existing = host.mountAt(mountPoint);
        if (existing.isPresent()) {
            if (!existing.get().source().equals(device.path().toString())) {
                throw new BackendFailure(mountPoint + " is already a mount point of " + existing.get().source()
                        + ", not of " + device.path(), "unmount it by hand (umount " + mountPoint + ") and retry");
            }
        } else {
            String fs = ensureFilesystem(v, device.path());
            ensureDir(mountPoint);
            host.mount(device.path(), mountPoint, fs, List.of());
        }
        ensureDir(MountLayout.containerPath(mountPoint));
    }

    private String ensureFilesystem(Volume v, Path device) {
        Optional<String> found = host.probeFilesystem(device);
        if (found.isEmpty()) {
            host.makeFilesystem(device, v.fsType());
            return v.fsType().id();
        }
        String fs = found.get();
        boolean known = List.of(FsType.values()).stream().anyMatch(t -> t.id().equals(fs));
        if (!known) {
            throw new BackendFailure("volume " + v.name() + " holds '" + fs + "', which Berth does not mount",
                    "Berth never reformats data: copy the data off the device " + device + " and remove the volume");
        }
        if (!fs.equals(v.fsType().id())) {
            LOG.warning("volume " + v.name() + " was asked to be " + v.fsType() + " but holds " + fs
                    + "; mounting it as " + fs + " (never reformatting)");
        }
        return fs;
    }

    /** Unmounts if mounted; the mount point folder is kept (it is cheap and may be re-used). */
    void unmount(Device device, Path mountPoint) {
        if (device == null || device.block()) {
            host.unmount(mountPoint);
        }
    }

    boolean isMounted(Path mountPoint) {
        return host.mountAt(mountPoint).isPresent();
    }

    private static void ensureDir(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new BackendFailure("cannot create " + dir + ": " + e.getMessage(),
                    "check that the mount root is writable by Berth", e);
        }
    }
}
