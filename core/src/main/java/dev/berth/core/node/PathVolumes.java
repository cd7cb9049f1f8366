package dev.berth.core.node;

import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.Busy;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.error.NotSupported;
import dev.berth.core.model.Claim;
import dev.berth.core.model.Device;
import dev.berth.core.model.PathRefs;
import dev.berth.core.model.PathRefs.Kind;
import dev.berth.core.model.Volume;
import dev.berth.core.service.Access;
import dev.berth.core.service.MountLayout;
import dev.berth.core.service.VolumeStats;
import dev.berth.core.spi.ControlPlane;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StorageDriver;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Volumes at paths an orchestrator chooses (CSI's staging and target paths), on top of the node's
 * own life cycle: a stage mounts the volume at Berth's mount point as any mount does and binds its
 * data folder onto the staging path (a block volume is only attached); a publish binds the volume
 * onto the target path, read-only when asked. Each path is a mount reference of the volume
 * ({@link PathRefs}), so the controller, the Docker side and a takeover see it like any other
 * user. Every call is idempotent: the same request again finds its reference and its mount; a
 * different request at the same path is refused.
 */
public final class PathVolumes {
    private static final Logger LOG = Logger.getLogger(PathVolumes.class.getName());
    private final NodeService node;
    private final ControlPlane control;
    private final HostOps host;

    public PathVolumes(NodeService node) {
        this.node = node;
        this.control = node.control();
        this.host = node.host();
    }

    /** Makes the volume ready at {@code staging}: mounted there, or (block) attached on this node. */
    public void stage(String volumeId, Path staging, Access access) {
        Volume v = node.volumeById(volumeId);
        node.withLock(v.id(), () -> {
            StorageDriver driver = node.nodePaths().driver(v);
            requireSupported(v, driver, access);
            List<String> refs = control.refs(node.node(), v.id());
            String ref = PathRefs.of(Kind.STAGE, access.block(), access.fingerprint(), staging);
            Optional<PathRefs.Ref> existing = PathRefs.at(refs, Kind.STAGE, staging);
            if (existing.isPresent() && !existing.get().fingerprint().equals(access.fingerprint())) {
                throw new AlreadyExists("volume " + v.name() + " is staged at " + staging + " with other capabilities",
                        "unstage it first, or stage it with the capabilities it was staged with");
            }
            if (access.block()) {
                // Staged before and still attached: nothing to do; after a reboot, attached again.
                if (existing.isEmpty() || driver.node().attached(v.backendId()).isEmpty()) {
                    if (refs.stream().anyMatch(r -> !PathRefs.isBlock(r))) {
                        throw new Busy("volume " + v.name() + " is mounted as a filesystem on node " + node.node(),
                                "unmount it everywhere here first; a volume is either a block device or a filesystem at a time");
                    }
                    requireDir(staging, "staging path");
                    node.attachLocked(v, ref);
                }
                return null;
            }
            requireDir(staging, "staging path");
            Optional<HostOps.MountEntry> there = host.mountAt(staging);
            if (existing.isPresent() && there.isPresent()) {
                return null; // staged as asked, and still mounted
            }
            if (there.isPresent() && existing.isEmpty()) {
                throw new Busy("something else is mounted at " + staging + " (" + there.get().source() + ")",
                        "pass a staging path nothing is mounted on");
            }
            requireFilesystem(v, access);
            // Mounted at Berth's own mount point (again, if a reboot took it): the same path as a
            // Docker mount of the volume, so both see one filesystem.
            String data = node.mountLocked(v, ref, true, false);
            try {
                host.bindMount(Path.of(data), staging, access.bindFlags());
            } catch (BerthException e) {
                if (existing.isEmpty()) {
                    undoRef(v, ref, e);
                }
                throw e;
            }
            return null;
        });
    }

    public void unstage(String volumeId, Path staging) {
        Volume v = node.volumeById(volumeId);
        node.withLock(v.id(), () -> {
            List<String> refs = control.refs(node.node(), v.id());
            Optional<PathRefs.Ref> staged = PathRefs.at(refs, Kind.STAGE, staging);
            List<PathRefs.Ref> published = PathRefs.all(refs, Kind.PUBLISH);
            if (staged.isEmpty()) {
                unmountIfOurs(v, staging);
                return null;
            }
            if (!published.isEmpty()) {
                throw new Busy("volume " + v.name() + " is still published at " + published.getFirst().path(),
                        "unpublish it from every target path first (NodeUnpublishVolume)");
            }
            host.unmount(staging);
            node.dropRefLocked(v, staged.get().text());
            return null;
        });
    }

    /** Binds the staged volume onto {@code target}. */
    public void publish(String volumeId, Path staging, Path target, Access access) {
        Volume v = node.volumeById(volumeId);
        node.withLock(v.id(), () -> {
            StorageDriver driver = node.nodePaths().driver(v);
            requireSupported(v, driver, access);
            if (access.block() && access.readOnly()) {
                throw new NotSupported("a block volume cannot be published read-only: a read-only bind of a device "
                        + "node does not stop writes to the device", "publish it read-write, or use a mount volume");
            }
            List<String> refs = control.refs(node.node(), v.id());
            Optional<PathRefs.Ref> staged = PathRefs.at(refs, Kind.STAGE, staging);
            if (staged.isEmpty()) {
                throw new Busy("volume " + v.name() + " is not staged at " + staging,
                        "stage it there first (NodeStageVolume)");
            }
            String ref = PathRefs.of(Kind.PUBLISH, access.block(), access.fingerprint(), target);
            Optional<PathRefs.Ref> existing = PathRefs.at(refs, Kind.PUBLISH, target);
            Optional<HostOps.MountEntry> there = host.mountAt(target);
            if (existing.isPresent()) {
                if (!existing.get().fingerprint().equals(access.fingerprint())) {
                    throw new AlreadyExists("volume " + v.name() + " is published at " + target
                            + " with other capabilities or another read-only setting",
                            "unpublish it first, or publish it as it was");
                }
                if (there.isPresent()) {
                    return null;
                }
            } else {
                List<PathRefs.Ref> others = PathRefs.all(refs, Kind.PUBLISH);
                if (!others.isEmpty() && !access.multiWriter()) {
                    throw new Busy("volume " + v.name() + " is already published at " + others.getFirst().path()
                            + ", and its access mode allows one target on a node",
                            "unpublish it there first, or use the access mode SINGLE_NODE_MULTI_WRITER");
                }
                if (there.isPresent()) {
                    throw new Busy("something else is mounted at " + target + " (" + there.get().source() + ")",
                            "pass a target path nothing is mounted on");
                }
            }
            Path source;
            if (access.block()) {
                source = driver.node().attached(v.backendId()).map(Device::path).orElseThrow(() -> new Busy(
                        "volume " + v.name() + " is staged but its device is not attached", "stage it again"));
                ensureFile(target);
            } else {
                requireFilesystem(v, access);
                source = Path.of(ownPath(v, driver));
                ensureDir(target);
            }
            host.bindMount(source, target, access.bindFlags());
            // Recorded under this node's grant, a re-bind of a known reference too: a node that lost
            // the volume is refused (Fenced) and its new bind goes again.
            try {
                node.addRefLocked(v, ref);
            } catch (BerthException e) {
                try {
                    host.unmount(target);
                } catch (BerthException again) {
                    e.addSuppressed(again);
                }
                throw e;
            }
            return null;
        });
    }

    public void unpublish(String volumeId, Path target) {
        Volume v = node.volumeById(volumeId);
        node.withLock(v.id(), () -> {
            List<String> refs = control.refs(node.node(), v.id());
            Optional<PathRefs.Ref> published = PathRefs.at(refs, Kind.PUBLISH, target);
            if (published.isEmpty()) {
                unmountIfOurs(v, target);
            } else {
                host.unmount(target);
                control.removeRef(node.node(), v.id(), published.get().text());
            }
            deleteTarget(target);
            return null;
        });
    }

    /**
     * CSI's NodeExpandVolume: after the controller grew the volume, grows its device here and, for
     * a filesystem, the filesystem online ({@link NodeService#growHere}); a block volume's device
     * is only refreshed. {@code path} must be where the volume is staged or published on this
     * node. Idempotent: a device and filesystem already at the volume's size stay as they are.
     * Returns the volume's size in bytes.
     *
     * @param block what the caller says the volume is used as (a block device or a filesystem), or
     *              null when it does not say
     */
    public long expand(String volumeId, Path path, Boolean block) {
        Volume v = node.volumeById(volumeId);
        return node.withLock(v.id(), () -> {
            List<String> refs = control.refs(node.node(), v.id());
            Optional<PathRefs.Ref> ref = PathRefs.at(refs, Kind.PUBLISH, path).or(() -> PathRefs.at(refs, Kind.STAGE, path));
            if (ref.isEmpty()) {
                throw new NotFound("volume " + v.name() + " is not staged or published at " + path + " on node " + node.node(),
                        "pass the volume's staging or target path on this node");
            }
            if (block != null && block != ref.get().block()) {
                throw new InvalidArgument("volume " + v.name() + " is used at " + path + " as a "
                        + (ref.get().block() ? "block device" : "filesystem") + ", not as a " + (block ? "block device" : "filesystem"),
                        "pass the volume capability it was staged with");
            }
            node.growHere(new dev.berth.core.service.VolumeRef(v.name(), v.service()));
            return node.volumeById(volumeId).sizeBytes();
        });
    }

    /** Space, inodes and health of the volume at {@code path}, one of its staging or target paths here. */
    public VolumeStats stats(String volumeId, Path path) {
        Volume v = node.volumeById(volumeId);
        List<String> refs = control.refs(node.node(), v.id());
        Optional<PathRefs.Ref> ref = PathRefs.at(refs, Kind.PUBLISH, path).or(() -> PathRefs.at(refs, Kind.STAGE, path));
        if (ref.isEmpty()) {
            throw new NotFound("volume " + v.name() + " is not staged or published at " + path + " on node " + node.node(),
                    "pass the volume's target or staging path on this node");
        }
        StorageDriver driver = node.nodePaths().driver(v);
        Optional<Claim> claim = control.claimOf(v.id());
        String problem = null;
        if (claim.isEmpty() || !claim.get().node().equals(node.node())) {
            problem = "node " + node.node() + " no longer holds the volume" + claim.map(c -> "; node " + c.node() + " does")
                    .orElse("") + " (it was fenced or released): its data here is not the volume's any more";
        } else if (driver.node().attached(v.backendId()).isEmpty()) {
            problem = "the volume's device is not attached on node " + node.node();
        }
        boolean block = ref.get().block();
        if (problem == null && !block && host.mountAt(path).isEmpty()) {
            problem = "nothing is mounted at " + path;
        }
        if (problem == null && block && ref.get().kind() == Kind.PUBLISH && host.mountAt(path).isEmpty()) {
            problem = "the device is not bound at " + path;
        }
        return new VolumeStats(block, v.sizeBytes(), problem == null && !block ? host.statFs(path) : null,
                problem != null, problem);
    }

    private static void requireSupported(Volume v, StorageDriver driver, Access access) {
        if (access.block() && !driver.blockDevices()) {
            throw new NotSupported("volume " + v.name() + " is on service " + v.service() + " (driver " + driver.kind()
                    + "), whose volumes are folders, not block devices", "ask for a mount volume");
        }
    }

    private static void requireFilesystem(Volume v, Access access) {
        String has = v.filesystem() != null ? v.filesystem() : v.fsType().id();
        if (access.fsType() != null && !access.fsType().equals(has)) {
            throw new NotSupported("volume " + v.name() + " holds " + has + ", not " + access.fsType(),
                    "ask for fs_type " + has + " (Berth never reformats a volume)");
        }
    }

    /** The folder containers get for a volume mounted here. */
    private String ownPath(Volume v, StorageDriver driver) {
        return node.nodePaths().mountedHere(v, driver).map(mp -> MountLayout.containerPath(mp).toString())
                .orElseThrow(() -> new Busy("volume " + v.name() + " is not mounted on node " + node.node()
                        + " although it is staged", "unstage and stage it again"));
    }

    /** A path with no reference of this volume: unmounted only when what is mounted there is this volume. */
    private void unmountIfOurs(Volume v, Path path) {
        Optional<HostOps.MountEntry> m = host.mountAt(path);
        if (m.isEmpty()) {
            return;
        }
        StorageDriver driver = node.nodePaths().driver(v);
        Optional<Device> dev = driver.node().attached(v.backendId());
        if (dev.isPresent() && Mounter.isOf(m.get(), dev.get().path())) {
            LOG.warning("unmounting " + path + ": volume " + v.name() + " is mounted there without a record of it");
            host.unmount(path);
        }
    }

    private void undoRef(Volume v, String ref, BerthException cause) {
        try {
            node.dropRefLocked(v, ref);
        } catch (BerthException e) {
            cause.addSuppressed(e);
        }
    }

    private static void requireDir(Path p, String what) {
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidArgument(what + " " + p + " is not a folder", "the orchestrator creates it before the call");
        }
    }

    /** The target folder: created when missing (its parent is the orchestrator's to make). */
    private static void ensureDir(Path p) {
        if (Files.isSymbolicLink(p)) {
            throw new InvalidArgument("target path " + p + " is a symlink", "pass a folder, or a path that does not exist");
        }
        try {
            Files.createDirectory(p);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new InvalidArgument("target path " + p + " exists and is not a folder",
                        "remove it, or pass another target path");
            }
        } catch (IOException e) {
            throw new InvalidArgument("cannot create the target folder " + p + ": " + e.getMessage(),
                    "its parent folder must exist");
        }
    }

    /** The target file a device node is bound onto: created empty when missing. */
    private static void ensureFile(Path p) {
        if (Files.isSymbolicLink(p)) {
            throw new InvalidArgument("target path " + p + " is a symlink", "pass a file, or a path that does not exist");
        }
        try {
            Files.createFile(p);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new InvalidArgument("target path " + p + " exists and is not a regular file",
                        "a block volume is published onto a file; remove it or pass another path");
            }
        } catch (IOException e) {
            throw new InvalidArgument("cannot create the target file " + p + ": " + e.getMessage(),
                    "its parent folder must exist");
        }
    }

    /**
     * Removes what a publish created at {@code target} once nothing is mounted there: an empty
     * folder or an empty file (never anything with content, never through a symlink).
     */
    private void deleteTarget(Path target) {
        if (host.mountAt(target).isPresent()) {
            throw new BackendFailure(target + " is still a mount point after the unmount",
                    "something mounted over it again; unmount it by hand and retry");
        }
        try {
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.deleteIfExists(target);
            } else if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && Files.size(target) == 0) {
                Files.deleteIfExists(target);
            }
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            LOG.warning("left " + target + " in place: it is not empty");
        } catch (IOException e) {
            LOG.warning("could not remove " + target + ": " + e.getMessage());
        }
    }
}
