package dev.berth.core.node;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.BerthException;
import dev.berth.core.io.RealDirs;
import dev.berth.core.model.Device;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Volume;
import dev.berth.core.service.MountLayout;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.NodeDriver;
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
    private final FilesystemGuard guard;

    Mounter(HostOps host) {
        this.host = host;
        this.guard = new FilesystemGuard(host);
    }

    /** A filesystem to mount, and whether Berth made it just now. */
    private record Filesystem(String type, boolean madeNow) {
    }

    /**
     * Makes sure {@code device} is mounted at {@code mountPoint} with a data folder; idempotent.
     * Returns the filesystem mounted (null for directories, or when it was mounted already).
     *
     * @param node the volume's node driver: asked only before a format whether it knows the device
     *             holds no data at all (then the blank check does not read it), and which features
     *             the new filesystem gets
     */
    String mount(Volume v, Device device, Path mountPoint, NodeDriver node) {
        if (!device.block()) {
            ensureDir(MountLayout.containerPath(device.path()));
            return null;
        }
        Optional<HostOps.MountEntry> existing = host.mountAt(mountPoint);
        String fs = null;
        if (existing.isPresent()) {
            if (!existing.get().source().equals(device.path().toString())) {
                throw new BackendFailure(mountPoint + " is already a mount point of " + existing.get().source()
                        + ", not of " + device.path(), "unmount it by hand (umount " + mountPoint + ") and retry");
            }
            // Berth may have died while it had this filesystem frozen for a copy: a freeze outlives
            // its process and would block every writer for good.
            thawQuietly(mountPoint);
        } else {
            ensureDir(mountPoint);
            fs = mountKnown(v, device.path(), mountPoint);
            if (fs == null) {
                Filesystem made = ensureFilesystem(v, device.path(), node);
                fs = made.type();
                guard.mount(v, device.path(), mountPoint, fs, made.madeNow());
            }
            growIfSmaller(v, device.path(), mountPoint, fs);
        }
        ensureDataDir(mountPoint, fs != null);
        return fs;
    }

    /**
     * Mount options for a filesystem Berth mounts. xfs refuses a second filesystem with the same
     * UUID on one host, and a clone or a restored snapshot has its source's UUID: nouuid lets
     * both be mounted (ext4 does not check).
     */
    static List<String> optionsFor(String fs) {
        return "xfs".equals(fs) ? List.of("nouuid") : List.of();
    }

    /**
     * A volume expanded while it was not attached here (or whose online growth was refused) has a
     * bigger device than filesystem: the filesystem is grown at its next mount, before it for ext4
     * ({@code mountPoint} null: offline, which any root can do), after it for xfs (which grows only
     * mounted).
     */
    private void growIfSmaller(Volume v, Path device, Path mountPoint, String fs) {
        if (fs == null) {
            return;
        }
        try {
            java.util.OptionalLong size = host.filesystemSize(device);
            if (size.isPresent() && size.getAsLong() < v.sizeBytes() - GROW_SLACK) {
                long grown = host.growFilesystem(device, mountPoint, fs);
                LOG.info("grew the " + fs + " filesystem of volume " + v.name() + " from " + size.getAsLong() + " to "
                        + grown + " bytes at its mount (it was expanded while not attached here)");
            }
        } catch (dev.berth.core.error.NotSupported e) {
            // a host without these operations: nothing to grow with
        } catch (BackendFailure e) {
            LOG.warning("could not grow the filesystem of volume " + v.name() + " at its mount: " + e.getMessage()
                    + "; `berth volume expand " + v.name() + " <size>` on this node tries again");
        }
    }

    /** A filesystem this much smaller than its volume was not grown yet (ext4 and xfs fill their device). */
    private static final long GROW_SLACK = 1L << 20;

    private void thawQuietly(Path mountPoint) {
        try {
            host.thaw(mountPoint);
        } catch (dev.berth.core.error.NotSupported e) {
            // a host without freezes never froze it
        } catch (RuntimeException e) {
            LOG.warning("could not thaw " + mountPoint + ": " + e.getMessage());
        }
    }

    /**
     * A volume Berth has mounted before is mounted with the filesystem it had then, without a
     * probe. If that fails (the device changed behind Berth's back), the caller probes as for a
     * new volume; nothing is ever formatted on this path.
     */
    private String mountKnown(Volume v, Path device, Path mountPoint) {
        // The record comes from the controller: only a filesystem Berth makes is a mount type here
        // (a recorded "tmpfs" would otherwise hide the volume's data behind an empty RAM disk).
        if (v.filesystem() == null || !isBerthFilesystem(v.filesystem())) {
            return null;
        }
        guard.beforeMount(v, device, v.filesystem());
        if ("ext4".equals(v.filesystem())) {
            growIfSmaller(v, device, null, "ext4"); // offline: online ext4 growth needs CAP_SYS_RESOURCE
        }
        try {
            host.mount(device, mountPoint, v.filesystem(), optionsFor(v.filesystem()));
            return v.filesystem();
        } catch (BackendFailure e) {
            LOG.warning("volume " + v.name() + " did not mount as " + v.filesystem() + " (" + e.getMessage()
                    + "); probing it");
            return null;
        }
    }

    private Filesystem ensureFilesystem(Volume v, Path device, NodeDriver node) {
        Optional<String> found = node.knownEmpty(v.backendId()) ? Optional.empty() : host.probeFilesystem(device);
        if (found.isEmpty()) {
            host.makeFilesystem(device, v.fsType(), node.format());
            return new Filesystem(v.fsType().id(), true);
        }
        String fs = found.get();
        if (!isBerthFilesystem(fs)) {
            throw new BackendFailure("volume " + v.name() + " holds '" + fs + "', which Berth does not mount",
                    "Berth never reformats data: copy the data off the device " + device + " and remove the volume");
        }
        if (!fs.equals(v.fsType().id())) {
            LOG.warning("volume " + v.name() + " was asked to be " + v.fsType() + " but holds " + fs
                    + "; mounting it as " + fs + " (never reformatting)");
        }
        return new Filesystem(fs, false);
    }

    private static boolean isBerthFilesystem(String fs) {
        return List.of(FsType.values()).stream().anyMatch(t -> t.id().equals(fs));
    }

    /** Unmounts if mounted; the mount point folder is kept (it is cheap and may be re-used). */
    void unmount(Device device, Path mountPoint) {
        if (device == null || device.block()) {
            host.unmount(mountPoint);
        }
    }

    /**
     * Every other mount of {@code device} in this mount namespace: the binds of its filesystem onto
     * orchestrators' staging and target paths, and a block volume's device node bound onto a file.
     */
    List<Path> otherMounts(Path device, Path mountPoint) {
        return host.mounts().stream()
                .filter(m -> isOf(m, device) && !m.target().equals(mountPoint))
                .map(HostOps.MountEntry::target).distinct().toList();
    }

    /**
     * Whether mount {@code m} is of {@code device}: its filesystem (the source names the device), or
     * the device node itself bound onto a file (a bind of a devtmpfs file: root "/loop3").
     */
    static boolean isOf(HostOps.MountEntry m, Path device) {
        return m.source().equals(device.toString())
                || m.fsType().equals("devtmpfs") && device.startsWith("/dev") && m.root().equals("/" + Path.of("/dev").relativize(device));
    }

    boolean isMounted(Path mountPoint) {
        return host.mountAt(mountPoint).isPresent();
    }

    /**
     * Creates {@code dir} (a mount point in the mount root, or a data folder in a volume) and its
     * parent if missing, following no symlink: a symlink planted there is refused, never mounted
     * on or handed out (see RealDirs for the race that remains).
     */
    private static void ensureDir(Path dir) {
        RealDirs.ensure(dir.getParent(), dir, null);
    }

    /** The data folder in a freshly mounted filesystem; if it cannot be had, the mount is undone. */
    private void ensureDataDir(Path mountPoint, boolean mountedNow) {
        try {
            ensureDir(MountLayout.containerPath(mountPoint));
        } catch (BerthException e) {
            if (mountedNow) {
                try {
                    host.unmount(mountPoint);
                } catch (BerthException again) {
                    e.addSuppressed(again);
                }
            }
            throw e;
        }
    }
}
