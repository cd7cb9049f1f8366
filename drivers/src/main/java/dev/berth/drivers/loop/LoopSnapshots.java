package dev.berth.drivers.loop;

import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.NotFound;
import dev.berth.core.io.RealDirs;
import dev.berth.core.model.Size;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.Progress;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Snapshot images of the loop pool: {@code <pool>/snapshots/<snapshotId>.img} with
 * {@code <snapshotId>.meta.json} beside it. A snapshot is made under a temporary name and linked
 * into place (link(2) never replaces a file), so its final name always holds a whole copy; its
 * metadata is written before the link, so every placed snapshot names its source.
 */
final class LoopSnapshots {
    private final LoopPool pool;
    private final HostOps host;
    private final ImageCopier copier;

    LoopSnapshots(LoopPool pool, HostOps host, ImageCopier copier) {
        this.pool = pool;
        this.host = host;
        this.copier = copier;
    }

    synchronized String snapshot(String backendId, String snapshotId, Progress progress) {
        String id = LoopPool.snapshotBackendId(snapshotId);
        Path source = pool.file(backendId);
        Path target = pool.snapshotFile(id);
        Path metadata = pool.snapshotMetadata(id);
        String volumeId = LoopPool.volumeId(backendId);
        if (LoopPool.isImage(target)) {
            return matching(id, metadata, volumeId);
        }
        if (!LoopPool.isImage(source)) {
            throw new NotFound("the image " + source + " to snapshot does not exist",
                    "the volume's data is gone from the loop pool; it cannot be snapshotted");
        }
        pool.ensureDir();
        RealDirs.ensure(pool.dir(), pool.snapshotsDir());
        Path tmp = ImageCopier.temporary(pool.snapshotsDir(), snapshotId);
        try {
            long size = Files.size(source);
            String method = copier.copy(source, tmp, progress);
            new SnapshotMetadata(SnapshotMetadata.VERSION, snapshotId, volumeId, size, method, Instant.now().toString())
                    .write(metadata);
            try {
                Files.createLink(target, tmp);
            } catch (FileAlreadyExistsException e) {
                return matching(id, metadata, volumeId); // made meanwhile by another controller
            }
            syncFolder(pool.snapshotsDir());
            return id;
        } catch (IOException e) {
            throw new BackendFailure("cannot make the snapshot " + target + ": " + e, "check the loop pool folder " + pool.dir(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // removed with the snapshot's leftovers
            }
        }
    }

    /** An existing snapshot is this one only if its metadata names the same source volume. */
    private static String matching(String id, Path metadata, String volumeId) {
        Optional<SnapshotMetadata> m;
        try {
            m = SnapshotMetadata.read(metadata);
        } catch (IOException e) {
            throw new BackendFailure("cannot use the snapshot metadata " + metadata + ": " + e.getMessage(),
                    "move it and its image out of the loop pool's snapshots folder", e);
        }
        if (m.isPresent() && !volumeId.equals(m.get().sourceVolumeId())) {
            throw new AlreadyExists("snapshot " + id + " exists already as a copy of volume id " + m.get().sourceVolumeId()
                    + ", not " + volumeId, "use another snapshot id; Berth never reuses another volume's snapshot");
        }
        return id;
    }

    synchronized void remove(String snapshotBackendId) {
        Path file = pool.snapshotFile(snapshotBackendId);
        try {
            Files.deleteIfExists(file);
            Files.deleteIfExists(pool.snapshotMetadata(snapshotBackendId));
            String name = file.getFileName().toString();
            pool.removeLeftovers(pool.snapshotsDir(), name.substring(0, name.length() - LoopPool.SUFFIX.length()),
                    java.time.Duration.ZERO);
        } catch (IOException e) {
            throw new BackendFailure("cannot delete " + file + ": " + e, "check the loop pool folder " + pool.dir(), e);
        }
    }

    boolean exists(String snapshotBackendId) {
        return LoopPool.isImage(pool.snapshotFile(snapshotBackendId));
    }

    Map<String, String> describe(String snapshotBackendId) {
        Path file = pool.snapshotFile(snapshotBackendId);
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("file", file.toString());
        if (!LoopPool.isImage(file)) {
            facts.put("missing", "the snapshot's image does not exist");
            return facts;
        }
        try {
            SnapshotMetadata.read(pool.snapshotMetadata(snapshotBackendId)).ifPresent(m -> {
                facts.put("method", m.method().equals(ImageCopier.REFLINK) ? "reflink (copy-on-write: shares unchanged"
                        + " blocks with its volume)" : "copy (a full copy of the volume's data)");
                facts.put("sourceVolumeId", m.sourceVolumeId());
            });
        } catch (IOException e) {
            facts.put("method", "unknown: " + e.getMessage());
        }
        try {
            facts.put("size", Size.format(Files.size(file)));
            facts.put("allocated", Size.human(host.allocatedBytes(List.of(file)))
                    + (copier.method().equals(ImageCopier.REFLINK) ? " (blocks shared with the volume count here too)" : ""));
        } catch (IOException | RuntimeException e) {
            facts.put("allocated", "unreadable: " + e.getMessage());
        }
        return facts;
    }

    /** The new name is durable only once its folder is. */
    static void syncFolder(Path folder) throws IOException {
        try (FileChannel ch = FileChannel.open(folder, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
