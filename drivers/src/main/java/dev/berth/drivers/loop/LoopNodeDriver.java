package dev.berth.drivers.loop;

import dev.berth.core.error.BerthException;
import dev.berth.core.error.NotFound;
import dev.berth.core.model.Device;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.HostOps.FileId;
import dev.berth.core.spi.NodeDriver;
import dev.berth.host.FileIds;
import dev.berth.host.SparseFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Host side of the loop driver: one loop device per attached image file, and only this node's.
 *
 * <p>Several hosts may share one kernel (the multi-host test harness: hosts as namespaces), and
 * every host sees every loop device there. A device bound to a volume's image may be another
 * host's, mounted in that host's mount namespace: reusing it would put two "hosts" on one
 * filesystem through one device, so that no guard (MMP, O_EXCL) could ever tell them apart. So
 * this node uses only the devices it recorded in {@link OwnLoopDevices} when it attached them (and
 * only while still bound to the same file, by inode), and otherwise attaches a new device even if
 * other devices hold the image. One exception keeps a restart after an upgrade (or a lost record)
 * working: an unrecorded device bound to the image and mounted in this process's mount namespace is
 * this host's by definition, and is adopted.
 *
 * <p>An image deleted from outside while attached stays alive in the kernel as long as its loop
 * device does; the kernel then names it "{@code <pool>/<id>.img (deleted)}". Such a device still
 * belongs to the volume: {@link #attached} finds it, so unmount, detach and remove release it
 * instead of leaking it, and start-up reconciliation sees it. It is matched by that exact name (the
 * pool's own folder, this backend's file name, and no file literally named so), and when the
 * image's device and inode are known — recorded when this process attached it, or in the
 * metadata file from create — by inode as well.
 */
public final class LoopNodeDriver implements NodeDriver {
    private static final Logger LOG = Logger.getLogger(LoopNodeDriver.class.getName());
    /** What the kernel appends to the backing file's name once the file is deleted. */
    static final String DELETED = " (deleted)";

    private final LoopPool pool;
    private final HostOps host;
    private final LoopSettings settings;
    private final OwnLoopDevices own;
    /** The image's id when this process attached it; dropped on detach. Bounded by the attached volumes. */
    private final ConcurrentHashMap<String, FileId> attachedIds = new ConcurrentHashMap<>();

    LoopNodeDriver(LoopPool pool, HostOps host, LoopSettings settings) {
        this.pool = pool;
        this.host = host;
        this.settings = settings;
        this.own = new OwnLoopDevices(settings.stateDir());
    }

    @Override
    public synchronized Device attach(String backendId) {
        Path file = pool.file(backendId);
        if (!LoopPool.isImage(file)) {
            throw new NotFound("the image file " + file + " of this volume does not exist",
                    "the volume's data is gone from the loop pool; remove the volume");
        }
        Optional<Path> mine = ownDevice(backendId).or(() -> mountedHere(backendId));
        Path device;
        if (mine.isPresent()) {
            device = mine.get();
            own.add(device, kernelFile(backendId));
        } else {
            device = host.loopAttachNew(file);
            try {
                own.add(device, kernelFile(backendId));
            } catch (BerthException notRecorded) {
                // An unrecorded device would be no one's: nobody would ever detach it.
                try {
                    host.loopDetach(device);
                } catch (BerthException again) {
                    notRecorded.addSuppressed(again);
                }
                throw notRecorded;
            }
        }
        FileIds.of(file).ifPresent(id -> attachedIds.put(backendId, id));
        return new Device(device, true);
    }

    @Override
    public Optional<Device> attached(String backendId) {
        return ownDevice(backendId).or(() -> mountedHere(backendId)).map(device -> new Device(device, true));
    }

    /** LOOP_SET_CAPACITY on this node's device of the image, after expand grew the file. */
    @Override
    public java.util.OptionalLong refreshCapacity(String backendId) {
        Optional<Device> device = attached(backendId);
        return device.isEmpty() ? java.util.OptionalLong.empty()
                : java.util.OptionalLong.of(host.loopRefreshCapacity(device.get().path()));
    }

    /** ext4 multi-mount protection as the service's options say (mmp, mmpInterval). */
    @Override
    public HostOps.Format format() {
        return settings.format();
    }

    /**
     * The image is one hole (SparseFiles): it was never written, through this loop device or any
     * other way (a closed writer's pages reach the file: the last close of a block device flushes
     * it), so there is nothing for the blank check to find.
     */
    @Override
    public boolean knownEmpty(String backendId) {
        Path file = pool.file(backendId);
        return LoopPool.isImage(file) && SparseFiles.hasNoData(file);
    }

    @Override
    public synchronized void detach(String backendId) {
        Path file = pool.file(backendId);
        boolean deleted = !LoopPool.isImage(file);
        attached(backendId).ifPresent(device -> {
            host.loopDetach(device.path());
            own.remove(device.path());
            if (deleted) {
                LOG.warning("the image file " + file + " was deleted from outside; its loop device " + device.path()
                        + " is released; the data is gone");
            }
        });
        attachedIds.remove(backendId);
    }

    /**
     * Image files of this pool held by one of this node's loop devices, including images deleted
     * from outside ("x.img (deleted)") whose device is still there. Other hosts' devices on the
     * same images are not this node's and are not listed.
     */
    @Override
    public Set<String> attachedBackends() {
        Path dir = pool.kernelDir();
        Set<String> ids = new TreeSet<>();
        Set<String> recorded = new HashSet<>();
        own.list().forEach(e -> recorded.add(e.device()));
        Set<String> mounted = mountedSources();
        for (HostOps.LoopDevice loop : host.loops()) {
            boolean isRecorded = recorded.contains(loop.device().toString());
            if (!isRecorded && !mounted.contains(loop.device().toString())) {
                continue;
            }
            Path backing = loop.backingFile();
            if (!dir.equals(backing.getParent()) || backing.getFileName() == null) {
                continue;
            }
            String name = backing.getFileName().toString();
            String id = null;
            if (LoopPool.isBackendId(name)) {
                id = name;
            } else if (name.endsWith(DELETED)) {
                String gone = name.substring(0, name.length() - DELETED.length());
                if (LoopPool.isBackendId(gone) && !Files.exists(backing, LinkOption.NOFOLLOW_LINKS)) {
                    id = gone;
                }
            }
            if (id != null) {
                ids.add(id);
                if (!isRecorded) {
                    record(loop.device(), dir.resolve(id)); // mounted here: this host's (see mountedHere)
                }
            }
        }
        return Set.copyOf(ids);
    }

    /** The image's path as the kernel names it (the pool's real folder), as recorded. */
    private Path kernelFile(String backendId) {
        return pool.kernelDir().resolve(backendId);
    }

    /**
     * This node's recorded device of the image, if it is still bound to the very same file (by
     * inode; for a deleted image, its recorded inode or else the kernel's "(deleted)" name).
     * Records of devices bound to something else now (freed, reused by another host) are dropped.
     */
    private Optional<Path> ownDevice(String backendId) {
        String kernelName = kernelFile(backendId).toString();
        List<OwnLoopDevices.Entry> entries = own.list().stream().filter(e -> e.file().equals(kernelName)).toList();
        if (entries.isEmpty()) {
            return Optional.empty();
        }
        Path file = pool.file(backendId);
        boolean deleted = !LoopPool.isImage(file);
        Optional<FileId> id = deleted
                ? Optional.ofNullable(attachedIds.get(backendId)).or(() -> recordedId(backendId))
                : FileIds.of(file);
        for (OwnLoopDevices.Entry e : entries) {
            Path device = Path.of(e.device());
            Optional<FileId> bound = host.loopBacking(device);
            boolean same = bound.isPresent() && (id.isPresent() ? bound.equals(id)
                    : deleted && boundName(device).equals(Optional.of(kernelName + DELETED)));
            if (same) {
                return Optional.of(device);
            }
            if (bound.isEmpty() || !deleted) {
                own.remove(device); // freed, or bound to another file now (perhaps another host's): not ours
            }
        }
        return Optional.empty();
    }

    /**
     * An unrecorded device bound to the image (by path and inode) and mounted in this process's mount
     * namespace: a mount here is this host's, so the device is too (a record lost, or written by
     * an older Berth). Devices of the image mounted nowhere here may be another host's: never adopted.
     */
    private Optional<Path> mountedHere(String backendId) {
        Path file = pool.file(backendId);
        Optional<Path> found;
        if (!LoopPool.isImage(file)) {
            found = deletedImageDevice(backendId).filter(d -> mountedSources().contains(d.toString()));
        } else {
            Optional<FileId> id = FileIds.of(file);
            Set<String> mounted = mountedSources();
            Path kernelName = kernelFile(backendId);
            found = host.loops().stream()
                    .filter(l -> l.backingFile().equals(kernelName) && mounted.contains(l.device().toString()))
                    .map(HostOps.LoopDevice::device)
                    .filter(d -> id.isPresent() && host.loopBacking(d).equals(id))
                    .findFirst();
        }
        // Recorded at once: after its unmount (a reconcile's clean-up) it must still be found, to be detached.
        found.ifPresent(d -> record(d, kernelFile(backendId)));
        return found;
    }

    /** Records an adopted device; a look-up still answers when the record cannot be written (it says why). */
    private void record(Path device, Path image) {
        try {
            own.add(device, image);
        } catch (BerthException e) {
            LOG.warning("loop device " + device + " of " + image + " is mounted here, so it is this node's, but it"
                    + " could not be recorded: " + e.getMessage());
        }
    }

    private Set<String> mountedSources() {
        Set<String> sources = new HashSet<>();
        Path root = settings.mountRoot();
        host.mounts().stream().filter(m -> root == null || m.target().startsWith(root)).forEach(m -> sources.add(m.source()));
        return sources;
    }

    private Optional<String> boundName(Path device) {
        return host.loops().stream().filter(l -> l.device().equals(device))
                .map(l -> l.backingFile().toString()).findFirst();
    }

    /** The device still holding this backend's image after the image was deleted, if there is one. */
    private Optional<Path> deletedImageDevice(String backendId) {
        Path gone = pool.kernelDir().resolve(backendId + DELETED);
        if (Files.exists(gone, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty(); // a real file of that name: its device is not a deleted image
        }
        List<HostOps.LoopDevice> loops = host.loops();
        if (loops.stream().noneMatch(l -> l.backingFile().toString().endsWith(DELETED))) {
            return Optional.empty(); // no deleted image is attached anywhere: no need to ask losetup for inodes
        }
        List<Path> byName = loops.stream().filter(l -> l.backingFile().equals(gone))
                .map(HostOps.LoopDevice::device).toList();
        Optional<FileId> id = Optional.ofNullable(attachedIds.get(backendId)).or(() -> recordedId(backendId));
        if (id.isPresent()) {
            // By inode: the very file Berth made or attached, wherever the kernel now says it is,
            // as long as it is deleted (a moved image still has its data and is not this case).
            Optional<Path> byInode = host.loopsHolding(id.get()).stream()
                    .filter(l -> l.backingFile().toString().endsWith(DELETED))
                    .map(HostOps.LoopDevice::device).findFirst();
            if (byInode.isPresent()) {
                return byInode;
            }
        }
        return byName.stream().findFirst();
    }

    private Optional<FileId> recordedId(String backendId) {
        try {
            return ImageMetadata.read(pool.metadata(backendId)).flatMap(ImageMetadata::imageId);
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
