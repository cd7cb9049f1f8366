package dev.berth.protocols.rest.security;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.ByteBuffer;
import java.util.Set;

/**
 * Writes files that hold secrets or trust: created with their final mode from the first byte (never
 * briefly world-readable), flushed to disk, and swapped in with a rename so a reader sees the old or
 * the new file, never half of one.
 */
final class PrivateFiles {
    static final Set<PosixFilePermission> DIR_0700 = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE_0600 = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> FILE_0644 = PosixFilePermissions.fromString("rw-r--r--");

    private PrivateFiles() {
    }

    /** Creates the folder (and parents) as 0700 if it is missing; an existing folder keeps its mode. */
    static void ensureDir(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (dir.getParent() != null) {
            Files.createDirectories(dir.getParent());
        }
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR_0700));
        } catch (FileAlreadyExistsException raced) {
            if (!Files.isDirectory(dir)) {
                throw raced;
            }
        }
    }

    /** Replaces {@code target} atomically with {@code content}. */
    static void write(Path target, byte[] content, Set<PosixFilePermission> mode) throws IOException {
        Path tmp = temp(target, content, mode);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Creates {@code target} with {@code content} only if it does not exist yet (a hard link never
     * replaces, unlike a rename); returns false when another writer got there first.
     */
    static boolean createNew(Path target, byte[] content, Set<PosixFilePermission> mode) throws IOException {
        Path tmp = temp(target, content, mode);
        try {
            Files.createLink(target, tmp);
            return true;
        } catch (FileAlreadyExistsException exists) {
            return false;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static Path temp(Path target, byte[] content, Set<PosixFilePermission> mode) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp", PosixFilePermissions.asFileAttribute(mode));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        // createTempFile's mode is filtered by the umask; set it exactly (0644 must stay readable).
        Files.setPosixFilePermissions(tmp, mode);
        return tmp;
    }
}
