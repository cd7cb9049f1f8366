package dev.berth.drivers.loop;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.model.FsType;
import dev.berth.core.model.VolumeSpec;
import dev.berth.core.spi.HostOps.FileId;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What Berth knew about a volume when it made its image, kept next to it in the pool as
 * {@code <volumeId>.meta.json}: if the state store is lost, {@code berth serve --adopt-pool}
 * rebuilds the volume records from these (with their names), and the image's device and inode
 * let a device be found after the image was deleted from outside. Written atomically (temporary
 * file, fsync, rename, fsync of the folder), so a reader sees a whole file or none.
 *
 * @param image st_dev and st_ino of the image file as made (null if they could not be read)
 */
record ImageMetadata(int version, String volumeId, String name, String service, long sizeBytes, String fsType,
                     Map<String, String> labels, String created, Image image) {
    static final int VERSION = 1;
    static final String SUFFIX = ".meta.json";
    /** Far above any valid file (64 labels of at most 1 KiB); a bigger one is not read into memory. */
    static final int MAX_BYTES = 1 << 20;

    record Image(long device, long inode) {
    }

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES) // a newer Berth may add fields
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    static ImageMetadata of(String volumeId, VolumeSpec spec, Instant created, Optional<FileId> image) {
        return new ImageMetadata(VERSION, volumeId, spec.name(), spec.service(), spec.sizeBytes(), spec.fsType().id(),
                spec.labels(), created.toString(), image.map(i -> new Image(i.device(), i.inode())).orElse(null));
    }

    /** The spec it was made with; throws IllegalArgumentException or InvalidArgument for a file that does not hold one. */
    VolumeSpec spec() {
        return new VolumeSpec(name, service, sizeBytes, FsType.parse(fsType), labels);
    }

    Optional<Instant> createdAt() {
        try {
            return Optional.ofNullable(created).map(Instant::parse);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    Optional<FileId> imageId() {
        return Optional.ofNullable(image).map(i -> new FileId(i.device(), i.inode()));
    }

    /** Writes {@code file} atomically, mode 0600. */
    void write(Path file) {
        try {
            writeAtomically(file, JSON.writeValueAsBytes(this));
        } catch (IOException e) {
            throw new BackendFailure("cannot write " + file + ": " + e, "check the loop pool folder " + file.getParent(), e);
        }
    }

    /** This metadata for an image grown to {@code newSize}. */
    ImageMetadata withSize(long newSize) {
        return new ImageMetadata(version, volumeId, name, service, newSize, fsType, labels, created, image);
    }

    /** This metadata naming the image's inode as {@code id} (after a link into place found someone else's image). */
    ImageMetadata withImage(Optional<FileId> id) {
        return new ImageMetadata(version, volumeId, name, service, sizeBytes, fsType, labels, created,
                id.map(i -> new Image(i.device(), i.inode())).orElse(null));
    }

    static ObjectMapper json() {
        return JSON;
    }

    /** Temporary file, fsync, rename, fsync of the folder: a reader sees the whole file or none. Mode 0600. */
    static void writeAtomically(Path file, byte[] content) {
        Path dir = file.getParent();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer bytes = ByteBuffer.wrap(content);
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            try (FileChannel folder = FileChannel.open(dir, StandardOpenOption.READ)) {
                folder.force(true); // the rename itself is durable only once the folder is
            }
        } catch (IOException e) {
            throw new BackendFailure("cannot write " + file + ": " + e, "check the loop pool folder " + dir, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a leftover .tmp is ignored by every reader of the pool
                }
            }
        }
    }

    /**
     * The metadata in {@code file}: empty if there is none; throws IOException with a reason if it
     * cannot be used (not a regular file, too big, not this format).
     */
    static Optional<ImageMetadata> read(Path file) throws IOException {
        Optional<byte[]> bytes = readBounded(file);
        if (bytes.isEmpty()) {
            return Optional.empty();
        }
        ImageMetadata m;
        try {
            m = JSON.readValue(bytes.get(), ImageMetadata.class);
        } catch (IOException e) {
            throw new IOException("it is not valid metadata: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (m == null || m.version() < 1) {
            throw new IOException("it has no version");
        }
        return Optional.of(m);
    }

    /**
     * The bytes of a metadata file in the pool (image or snapshot): empty if there is none; throws
     * IOException with a reason if it is not a regular file or larger than {@link #MAX_BYTES}.
     */
    static Optional<byte[]> readBounded(Path file) throws IOException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("it is not a regular file");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (NoSuchFileException gone) {
            return Optional.empty();
        }
        if (bytes.length > MAX_BYTES) {
            throw new IOException("it is larger than " + MAX_BYTES + " bytes");
        }
        return Optional.of(bytes);
    }
}
