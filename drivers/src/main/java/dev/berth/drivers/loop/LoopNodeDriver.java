package dev.berth.drivers.loop;

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
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Host side of the loop driver: one loop device per attached image file.
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
    /** The image's id when this process attached it; dropped on detach. Bounded by the attached volumes. */
    private final ConcurrentHashMap<String, FileId> attachedIds = new ConcurrentHashMap<>();

    LoopNodeDriver(LoopPool pool, HostOps host) {
        this.pool = pool;
        this.host = host;
    }

    @Override
    public Device attach(String backendId) {
        Path file = pool.file(backendId);
        if (!LoopPool.isImage(file)) {
            throw new NotFound("the image file " + file + " of this volume does not exist",
                    "the volume's data is gone from the loop pool; remove the volume");
        }
        Path device = host.loopAttach(file);
        FileIds.of(file).ifPresent(id -> attachedIds.put(backendId, id));
        return new Device(device, true);
    }

    @Override
    public Optional<Device> attached(String backendId) {
        Path file = pool.file(backendId);
        if (LoopPool.isImage(file)) {
            return host.loopFind(file).map(device -> new Device(device, true));
        }
        return deletedImageDevice(backendId).map(device -> new Device(device, true));
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
    public void detach(String backendId) {
        Path file = pool.file(backendId);
        boolean deleted = !LoopPool.isImage(file);
        attached(backendId).ifPresent(device -> {
            host.loopDetach(device.path());
            if (deleted) {
                LOG.warning("the image file " + file + " was deleted from outside; its loop device " + device.path()
                        + " is released; the data is gone");
            }
        });
        attachedIds.remove(backendId);
    }

    /**
     * Image files of this pool held by a loop device, including images deleted from outside
     * ("x.img (deleted)") whose device is still there.
     */
    @Override
    public Set<String> attachedBackends() {
        Path dir = pool.kernelDir();
        Set<String> ids = new TreeSet<>();
        for (HostOps.LoopDevice loop : host.loops()) {
            Path backing = loop.backingFile();
            if (!dir.equals(backing.getParent()) || backing.getFileName() == null) {
                continue;
            }
            String name = backing.getFileName().toString();
            if (LoopPool.isBackendId(name)) {
                ids.add(name);
            } else if (name.endsWith(DELETED)) {
                String id = name.substring(0, name.length() - DELETED.length());
                if (LoopPool.isBackendId(id) && !Files.exists(backing, LinkOption.NOFOLLOW_LINKS)) {
                    ids.add(id);
                }
            }
        }
        return Set.copyOf(ids);
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
