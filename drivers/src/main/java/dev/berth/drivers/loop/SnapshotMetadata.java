package dev.berth.drivers.loop;

import dev.berth.core.error.BackendFailure;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a snapshot image in {@code <pool>/snapshots/} was made from, kept next to it as
 * {@code <snapshotId>.meta.json}: a retry of the same snapshot finds its own object, and a
 * snapshot id cannot be given another volume's copy.
 *
 * @param sourceVolumeId the volume id whose image was copied
 * @param method         "reflink" or "copy"
 */
record SnapshotMetadata(int version, String snapshotId, String sourceVolumeId, long sizeBytes, String method,
                        String created) {
    static final int VERSION = 1;

    void write(Path file) {
        try {
            ImageMetadata.writeAtomically(file, ImageMetadata.json().writeValueAsBytes(this));
        } catch (IOException e) {
            throw new BackendFailure("cannot write " + file + ": " + e, "check the loop pool folder " + file.getParent(), e);
        }
    }

    /** Empty when there is no file; IOException with the reason when it cannot be used. */
    static Optional<SnapshotMetadata> read(Path file) throws IOException {
        Optional<byte[]> bytes = ImageMetadata.readBounded(file);
        if (bytes.isEmpty()) {
            return Optional.empty();
        }
        SnapshotMetadata m;
        try {
            m = ImageMetadata.json().readValue(bytes.get(), SnapshotMetadata.class);
        } catch (IOException e) {
            throw new IOException("it is not valid snapshot metadata: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (m == null || m.version() < 1 || m.snapshotId() == null) {
            throw new IOException("it has no version or snapshot id");
        }
        return Optional.of(m);
    }
}
