package dev.berth.drivers.loop;

import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.Busy;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.OutOfCapacity;
import dev.berth.core.model.Capacity;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Size;
import dev.berth.core.model.VolumeSpec;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.NodeDriver;
import dev.berth.core.spi.StorageDriver;
import dev.berth.core.model.Device;
import dev.berth.drivers.FileStores;
import dev.berth.host.FileIds;
import dev.berth.host.MultiMountProtection;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Volumes as sparse files in a pool folder, attached through loop devices. Sparse files take
 * space only as data is written, so the pool can be promised more than it has: the controller
 * counts every volume's full size against the pool ({@link #overcommit()}, {@link #allocatedBytes});
 * this driver itself only refuses one volume bigger than the free space (times the over-commit).
 * Each image has a metadata file next to it ({@link ImageMetadata}) from which lost records can be rebuilt.
 */
public final class LoopDriver implements StorageDriver {
    /** A volume file held by more loop devices than this was not attached by Berth; stop, do not loop forever. */
    private static final int MAX_DETACH_ROUNDS = 8;

    private final LoopPool pool;
    private final HostOps host;
    private final LoopNodeDriver node;
    private final double overcommit;
    private final LoopSettings settings;
    private final ImageCopier copier;
    private final LoopSnapshots snapshots;

    public LoopDriver(Path pool, HostOps host) {
        this(pool, 1.0, host);
    }

    /** @param overcommit how far full sizes may exceed the pool's space (1.0 = not at all) */
    public LoopDriver(Path pool, double overcommit, HostOps host) {
        this(pool, overcommit, host, LoopSettings.DEFAULT);
    }

    public LoopDriver(Path pool, double overcommit, HostOps host, LoopSettings settings) {
        if (!(overcommit > 0 && overcommit <= LoopDriverFactory.MAX_OVERCOMMIT)) {
            throw new IllegalArgumentException("overcommit out of range: " + overcommit);
        }
        this.overcommit = overcommit;
        this.pool = new LoopPool(pool);
        this.host = Objects.requireNonNull(host, "host");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.node = new LoopNodeDriver(this.pool, host, settings);
        this.copier = new ImageCopier(this.pool, host, new dev.berth.host.ProcessRunner());
        this.snapshots = new LoopSnapshots(this.pool, host, copier);
    }

    @Override
    public String kind() {
        return LoopDriverFactory.KIND;
    }

    @Override
    public boolean blockDevices() {
        return true;
    }

    @Override
    public synchronized String create(String volumeId, VolumeSpec spec) {
        String backendId = LoopPool.backendId(volumeId);
        if (settings.shared() && spec.fsType() == FsType.XFS) {
            throw new InvalidArgument("volume " + spec.name() + " cannot be xfs: service " + spec.service()
                    + " is shared (its pool is reachable from several hosts) and xfs has no multi-mount protection,"
                    + " so nothing would stop a second host from mounting it while the first still has it",
                    "use ext4 (the default), whose multi-mount protection makes a second host's mount fail, or an xfs"
                            + " volume on a loop service that is not shared");
        }
        Path file = pool.file(backendId);
        long size = spec.sizeBytes();
        if (madeBefore(volumeId, spec, file)) {
            return backendId;
        }
        Capacity free = capacity();
        if (size > free.available() * overcommit) {
            throw new OutOfCapacity("a " + Size.human(size) + " volume does not fit in the loop pool "
                    + pool.dir() + ": its filesystem has " + Size.human(free.available()) + " free",
                    "ask for at most " + Size.human(free.available()) + ", free space there, or point the "
                            + "loop driver's pool option at a folder on a bigger filesystem");
        }
        Path metadata = pool.metadata(backendId);
        try {
            // Sized under a temporary name, then linked into place: a crash never leaves a
            // half-made <id>.img, and link(2) never replaces a file that appeared meanwhile.
            Path tmp = Files.createTempFile(pool.dir(), "." + backendId + ".", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            boolean placed = false;
            try {
                try (RandomAccessFile raf = new RandomAccessFile(tmp.toFile(), "rw")) {
                    raf.setLength(size); // sparse: no block is allocated until written
                }
                // The metadata before the image: a crash in between leaves a metadata file without
                // an image (ignored, removed with the volume), never an image without its name.
                ImageMetadata.of(volumeId, spec, Instant.now(), FileIds.of(tmp)).write(metadata);
                Files.createLink(file, tmp);
                placed = true;
            } catch (FileAlreadyExistsException e) {
                if (!alreadyThere(file, size)) {
                    throw e;
                }
                placed = true; // made by someone else meanwhile (another controller on this pool): the same volume
                // Our metadata, written before the link, names our temporary file's inode: name the image's.
                ImageMetadata.of(volumeId, spec, Instant.now(), FileIds.of(file)).write(metadata);
            } finally {
                Files.deleteIfExists(tmp);
                if (!placed) {
                    Files.deleteIfExists(metadata);
                }
            }
        } catch (IOException e) {
            throw new BackendFailure("cannot create " + file + ": " + e, "check the loop pool folder " + pool.dir(), e);
        }
        return backendId;
    }

    /**
     * A retry (after a crash, or from another controller) of a create or a copy: true when the
     * image is there already and was made for this spec (a different one is refused).
     */
    private boolean madeBefore(String volumeId, VolumeSpec spec, Path file) {
        pool.ensureDir();
        if (!alreadyThere(file, spec.sizeBytes())) {
            return false;
        }
        matchOrRecord(volumeId, spec, file);
        pool.removeLeftovers(volumeId, LEFTOVER_AGE);
        return true;
    }

    /** Temporary files of a create older than this were left by a crash (a live create takes milliseconds). */
    static final java.time.Duration LEFTOVER_AGE = java.time.Duration.ofMinutes(1);

    /**
     * An image already made for {@code volumeId} is reused only if its metadata names the same
     * volume and spec (size is checked by {@link #alreadyThere}); one without metadata gets it.
     */
    private static void matchOrRecord(String volumeId, VolumeSpec spec, Path file) {
        Path metadata = file.resolveSibling(volumeId + ImageMetadata.SUFFIX);
        Optional<ImageMetadata> m;
        try {
            m = ImageMetadata.read(metadata);
        } catch (IOException e) {
            throw new BackendFailure("cannot use the metadata file " + metadata + " of an existing image: "
                    + e.getMessage(), "move it out of the loop pool; the next create writes it again", e);
        }
        if (m.isEmpty()) {
            ImageMetadata.of(volumeId, spec, Instant.now(), FileIds.of(file)).write(metadata);
            return;
        }
        VolumeSpec had;
        try {
            had = m.get().spec();
        } catch (RuntimeException e) {
            throw new BackendFailure("the metadata file " + metadata + " holds no valid spec: " + e.getMessage(),
                    "move it out of the loop pool; the next create writes it again", e);
        }
        if (!volumeId.equals(m.get().volumeId()) || !had.name().equals(spec.name())
                || !had.service().equals(spec.service()) || had.fsType() != spec.fsType()) {
            throw new AlreadyExists(file + " already exists for volume " + had.service() + "/" + had.name() + " (id "
                    + m.get().volumeId() + ", " + had.fsType() + "), not " + spec.service() + "/" + spec.name() + " ("
                    + spec.fsType() + ")", "remove that volume first; Berth never reuses another volume's image");
        }
    }

    /** Idempotent create: the same file and size is the same volume; a different one is a conflict. */
    private static boolean alreadyThere(Path file, long size) {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        if (!LoopPool.isImage(file)) {
            throw new AlreadyExists(file + " exists but is not a regular file", "move it out of the loop pool");
        }
        long existing;
        try {
            existing = Files.size(file);
        } catch (IOException e) {
            throw new BackendFailure("cannot read the size of " + file + ": " + e, "", e);
        }
        if (existing != size) {
            throw new AlreadyExists(file + " already exists with " + Size.format(existing) + ", not "
                    + Size.format(size), "remove that volume first, or ask for " + Size.format(existing));
        }
        return true;
    }

    // ---- snapshots, clones, expansion ---------------------------------------------------------

    /** "reflink" where the pool's filesystem can clone files (probed once), else "copy". */
    @Override
    public Optional<String> copyMethod() {
        return Optional.of(copier.method());
    }

    @Override
    public String snapshot(String backendId, String snapshotId, dev.berth.core.spi.Progress progress) {
        return snapshots.snapshot(backendId, snapshotId, progress);
    }

    /** {@code snapshots/<snapshotId>.img}. */
    @Override
    public Optional<String> snapshotBackendIdOf(String snapshotId) {
        return Optional.of(LoopPool.snapshotBackendId(snapshotId));
    }

    @Override
    public void removeSnapshot(String snapshotBackendId) {
        snapshots.remove(snapshotBackendId);
    }

    @Override
    public boolean snapshotExists(String snapshotBackendId) {
        return snapshots.exists(snapshotBackendId);
    }

    @Override
    public Map<String, String> describeSnapshot(String snapshotBackendId) {
        return snapshots.describe(snapshotBackendId);
    }

    /**
     * The new volume's image as a copy of a snapshot's or another volume's, made under a temporary
     * name, grown to the spec's size and linked into place as create() does; never smaller than
     * its source. Idempotent: an image of this id that matches the spec is returned as it is.
     */
    @Override
    public synchronized String createFrom(String volumeId, VolumeSpec spec, Source source,
                                          dev.berth.core.spi.Progress progress) {
        String backendId = LoopPool.backendId(volumeId);
        Path file = pool.file(backendId);
        long size = spec.sizeBytes();
        if (madeBefore(volumeId, spec, file)) {
            return backendId;
        }
        Path from = source.snapshot() ? pool.snapshotFile(source.backendId()) : pool.file(source.backendId());
        if (!LoopPool.isImage(from)) {
            throw new dev.berth.core.error.NotFound("the " + (source.snapshot() ? "snapshot" : "volume") + " image " + from
                    + " to copy does not exist", "it was removed; pick another " + (source.snapshot() ? "snapshot" : "volume"));
        }
        long sourceSize;
        try {
            sourceSize = Files.size(from);
        } catch (IOException e) {
            throw new BackendFailure("cannot read the size of " + from + ": " + e, "", e);
        }
        if (size < sourceSize) {
            throw new InvalidArgument("a volume made from " + from.getFileName() + " must be at least its size, "
                    + Size.format(sourceSize) + ", not " + Size.format(size), "ask for " + Size.format(sourceSize) + " or more");
        }
        Capacity free = capacity();
        if (size > free.available() * overcommit) {
            throw new OutOfCapacity("a " + Size.human(size) + " volume does not fit in the loop pool " + pool.dir()
                    + ": its filesystem has " + Size.human(free.available()) + " free",
                    "ask for at most " + Size.human(free.available()) + ", or free space there");
        }
        Path metadata = pool.metadata(backendId);
        Path tmp = ImageCopier.temporary(pool.dir(), backendId);
        boolean placed = false;
        try {
            copier.copy(from, tmp, progress);
            if (size > sourceSize) {
                try (RandomAccessFile raf = new RandomAccessFile(tmp.toFile(), "rw")) {
                    raf.setLength(size); // the new space is a hole; the filesystem grows into it at its first mount
                }
            }
            ImageMetadata.of(volumeId, spec, Instant.now(), FileIds.of(tmp)).write(metadata);
            try {
                Files.createLink(file, tmp);
            } catch (FileAlreadyExistsException e) {
                if (!alreadyThere(file, size)) {
                    throw e;
                }
                ImageMetadata.of(volumeId, spec, Instant.now(), FileIds.of(file)).write(metadata);
            }
            placed = true;
        } catch (IOException e) {
            throw new BackendFailure("cannot create " + file + " from " + from + ": " + e, "check the loop pool folder "
                    + pool.dir(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
                if (!placed) {
                    Files.deleteIfExists(metadata);
                }
            } catch (IOException ignored) {
                // a leftover is removed by the next create or remove of this id
            }
        }
        return backendId;
    }

    /**
     * Grows the image file (a hole: no space is used until written); the loop device and the
     * filesystem follow on the node. Never shrinks; the same size again changes nothing.
     */
    @Override
    public synchronized void expand(String backendId, long newSizeBytes) {
        Path file = pool.file(backendId);
        if (!LoopPool.isImage(file)) {
            throw new dev.berth.core.error.NotFound("the image " + file + " does not exist",
                    "the volume's data is gone from the loop pool; it cannot be expanded");
        }
        if (newSizeBytes <= 0 || newSizeBytes % 4096 != 0) {
            throw new InvalidArgument("a loop volume's size must be a positive multiple of 4 KiB, not " + newSizeBytes
                    + " bytes", "ask for a size in whole KiB multiples of 4, e.g. " + Size.format((newSizeBytes / 4096 + 1) * 4096));
        }
        long current;
        try {
            current = Files.size(file);
        } catch (IOException e) {
            throw new BackendFailure("cannot read the size of " + file + ": " + e, "", e);
        }
        if (newSizeBytes == current) {
            return;
        }
        if (newSizeBytes < current) {
            throw new InvalidArgument("volume image " + file.getFileName() + " is " + Size.format(current)
                    + "; it cannot shrink to " + Size.format(newSizeBytes), "ask for more than " + Size.format(current)
                    + " (shrinking a filesystem in place is not supported)");
        }
        long growth = newSizeBytes - current;
        Capacity free = capacity();
        if (growth > free.available() * overcommit) {
            throw new OutOfCapacity("growing " + file.getFileName() + " by " + Size.human(growth) + " does not fit in the"
                    + " loop pool " + pool.dir() + ": its filesystem has " + Size.human(free.available()) + " free",
                    "grow it by at most " + Size.human(free.available()) + ", or free space there");
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(newSizeBytes);
        } catch (IOException e) {
            throw new BackendFailure("cannot grow " + file + ": " + e, "check the loop pool folder " + pool.dir(), e);
        }
        Path metadata = pool.metadata(backendId);
        try {
            ImageMetadata.read(metadata).ifPresent(m -> m.withSize(newSizeBytes).write(metadata));
        } catch (IOException e) {
            // an unusable metadata file stays as it is: stored() already reports why it cannot be used
        }
    }

    @Override
    public Optional<String> backendIdOf(String volumeId) {
        return Optional.of(LoopPool.backendId(volumeId));
    }

    /**
     * Detaches the file from every loop device first: deleting it would leave the device holding it.
     * That includes a device still holding the image after it was deleted from outside. The
     * metadata file goes last, so a failed remove can be retried with the name still known.
     */
    @Override
    public synchronized void remove(String backendId) {
        Path file = pool.file(backendId);
        Path metadata = pool.metadata(backendId);
        boolean image = Files.exists(file, LinkOption.NOFOLLOW_LINKS);
        if (!image || LoopPool.isImage(file)) {
            for (int round = 0; ; round++) {
                Optional<Device> device = node.attached(backendId);
                if (device.isEmpty()) {
                    break;
                }
                if (round == MAX_DETACH_ROUNDS) {
                    throw new BackendFailure(file + " is still attached to " + device.get().path() + " after "
                            + MAX_DETACH_ROUNDS + " detaches", "losetup --list shows who holds it");
                }
                node.detach(backendId);
            }
            Optional<Path> foreign = image ? host.loopFind(file) : Optional.empty();
            if (foreign.isPresent()) {
                // Not this node's device: another host's on the same kernel, or attached by hand.
                // Deleting the image under it would leave that holder writing to a deleted file.
                throw new Busy(file + " is still attached to " + foreign.get() + ", a loop device this node did not"
                        + " attach (another host's, or attached by hand), so it is not removed",
                        "detach it where it is used (losetup -d " + foreign.get() + " once nothing mounts it), then retry");
            }
        }
        try {
            Files.deleteIfExists(file);
            Files.deleteIfExists(metadata);
            pool.removeLeftovers(LoopPool.volumeId(backendId), java.time.Duration.ZERO);
        } catch (IOException e) {
            throw new BackendFailure("cannot delete " + file + ": " + e, "check the loop pool folder " + pool.dir(), e);
        }
    }

    @Override
    public boolean exists(String backendId) {
        return LoopPool.isImage(pool.file(backendId));
    }

    @Override
    public Capacity capacity() {
        return FileStores.capacity(pool.dir());
    }

    @Override
    public OptionalDouble overcommit() {
        return OptionalDouble.of(overcommit);
    }

    @Override
    public long allocatedBytes(Collection<String> backendIds) {
        List<Path> files = new ArrayList<>(backendIds.size());
        for (String id : backendIds) {
            files.add(pool.file(id));
        }
        return host.allocatedBytes(files);
    }

    @Override
    public Map<String, String> describe(String backendId) {
        Path file = pool.file(backendId);
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("file", file.toString());
        if (!LoopPool.isImage(file)) {
            facts.put("missing", "the backing file does not exist");
            return facts;
        }
        try {
            facts.put("size", Size.format(Files.size(file)));
        } catch (IOException e) {
            facts.put("size", "unreadable: " + e.getMessage());
        }
        // The JDK exposes no st_blocks ("unix:blocks" is not an attribute), so the allocated
        // size is not shown rather than run a tool for it.
        facts.put("allocation", "sparse: disk space is used as data is written");
        facts.put("guard", guard(backendId, file));
        facts.put("copies", copier.method().equals(ImageCopier.REFLINK) ? "reflink (copy-on-write)"
                : "full copy (the pool's filesystem has no reflinks)");
        try {
            Capacity c = capacity();
            facts.put("poolFree", Size.human(c.available()) + " free of " + Size.human(c.total())
                    + " on the pool's filesystem");
        } catch (BackendFailure e) {
            facts.put("poolFree", "unreadable: " + e.getMessage());
        }
        return facts;
    }

    /**
     * What keeps a second host from mounting this volume while one has it: the filesystem's own
     * feature as found in the image (a volume made before, or with mmp off, may lack it), or for a
     * blank image what its first mount will make.
     */
    private String guard(String backendId, Path file) {
        Optional<Boolean> mmp = MultiMountProtection.enabled(file);
        String fs = mmp.isPresent() ? "ext4" : fsTypeOf(backendId).orElse("?");
        if (mmp.orElse(false)) {
            return "ext4 multi-mount protection";
        }
        String where = settings.shared() ? "the pool is shared: nothing stops a second host from mounting it"
                : "fine while only one host uses this pool";
        if (mmp.isPresent()) {
            return "none (this ext4 was made without multi-mount protection; " + where
                    + "; add it while unmounted with tune2fs -O mmp)";
        }
        if (fs.equals("ext4")) {
            return settings.format().mmp() ? "ext4 multi-mount protection (made at its first mount)"
                    : "none (mmp is off for this service; " + where + ")";
        }
        return "none (" + fs + " has no multi-mount protection: " + where + ")";
    }

    private Optional<String> fsTypeOf(String backendId) {
        try {
            return ImageMetadata.read(pool.metadata(backendId)).map(ImageMetadata::fsType);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Override
    public NodeDriver node() {
        return node;
    }

    /** The pool's images ({@code <volumeId>.img} regular files), sorted. */
    @Override
    public List<String> storedIds() {
        return pool.images();
    }

    /** An image with what its metadata file says; without usable metadata, the note says why. */
    @Override
    public Optional<Stored> stored(String backendId) {
        Path file = pool.file(backendId);
        long size;
        try {
            if (!LoopPool.isImage(file)) {
                return Optional.empty();
            }
            size = Files.size(file);
        } catch (IOException e) {
            return Optional.empty(); // removed while we looked
        }
        String volumeId = LoopPool.volumeId(backendId);
        Path metadata = pool.metadata(backendId);
        try {
            Optional<ImageMetadata> m = ImageMetadata.read(metadata);
            if (m.isEmpty()) {
                return Optional.of(unnamed(backendId, volumeId, size, "no metadata file " + metadata.getFileName()));
            }
            if (!volumeId.equals(m.get().volumeId())) {
                return Optional.of(unnamed(backendId, volumeId, size,
                        "its metadata file names volume id " + m.get().volumeId() + ", not " + volumeId));
            }
            return Optional.of(new Stored(backendId, volumeId, size, Optional.of(m.get().spec()), m.get().createdAt(), ""));
        } catch (IOException | RuntimeException e) {
            return Optional.of(unnamed(backendId, volumeId, size,
                    "its metadata file " + metadata.getFileName() + " cannot be used: " + e.getMessage()));
        }
    }

    private static Stored unnamed(String backendId, String volumeId, long size, String note) {
        return new Stored(backendId, volumeId, size, Optional.empty(), Optional.empty(), note);
    }
}
