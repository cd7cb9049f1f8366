package dev.berth.core.io;

import dev.berth.core.error.InvalidArgument;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * The one way Berth reads a file named by a user (flag, environment, configuration): certificates,
 * keys, tokens, known_hosts, the configuration file. It reads only a regular file (a symlink to one
 * is fine) of at most {@code limit} bytes, so {@code /dev/zero}, a FIFO or a huge file is refused at
 * once with a message naming the file, instead of blocking forever or filling the heap.
 *
 * <p>The type and size are checked before the file is opened, and at most {@code limit + 1} bytes
 * are read after, so a file that grows in between (or a /proc file that claims size 0) is still
 * bounded. A regular file swapped for a FIFO between the check and the open would block the read;
 * only whoever controls the path can do that, and it only stalls their own command.
 */
public final class BoundedFiles {
    /** PEM certificates, CA bundles, public and private keys. */
    public static final int PEM_LIMIT = 1024 * 1024;
    /** Raw secrets: the HS256 key, token files. */
    public static final int SECRET_LIMIT = 64 * 1024;
    /** The YAML configuration file. */
    public static final int CONFIG_LIMIT = 1024 * 1024;
    /** The trust-on-first-use file of a client. */
    public static final int KNOWN_HOSTS_LIMIT = 1024 * 1024;

    private BoundedFiles() {
    }

    /**
     * The bytes of {@code file}. Every refusal is an InvalidArgument that names {@code what} and the
     * file: missing, not a regular file, larger than {@code limit} bytes, not readable.
     */
    public static byte[] read(Path file, String what, int limit) {
        return readIfExists(file, what, limit).orElseThrow(() -> new InvalidArgument(
                what + " " + file + " does not exist", "check the path"));
    }

    /** As {@link #read}, but a missing file (or a missing folder on the way) is empty instead of an error. */
    public static Optional<byte[]> readIfExists(Path file, String what, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit " + limit);
        }
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            if (!attrs.isRegularFile()) {
                throw new InvalidArgument(what + " " + file + " is " + kind(file, attrs) + ", not a regular file",
                        "give the path of a regular file; Berth does not read from devices, pipes or folders");
            }
            if (attrs.size() > limit) {
                throw tooLarge(file, what, limit, attrs.size() + " bytes");
            }
            byte[] content;
            try (InputStream in = Files.newInputStream(file)) {
                content = in.readNBytes(limit + 1);
            }
            if (content.length > limit) {
                throw tooLarge(file, what, limit, "more than " + limit + " bytes");
            }
            return Optional.of(content);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (AccessDeniedException e) {
            throw new InvalidArgument(what + " " + file + " is not readable by this user",
                    "run as a user who may read it, or fix its owner and mode", e);
        } catch (IOException e) {
            throw new InvalidArgument("cannot read " + what + " " + file + ": " + e.getMessage(),
                    "check the path and the file's permissions", e);
        }
    }

    private static InvalidArgument tooLarge(Path file, String what, int limit, String size) {
        return new InvalidArgument(what + " " + file + " holds " + size + "; a " + what + " is at most " + human(limit),
                "check that this is the right file");
    }

    /** "a folder", "a FIFO (named pipe)", "a character device" ...: what the user pointed at instead. */
    private static String kind(Path file, BasicFileAttributes attrs) {
        if (attrs.isDirectory()) {
            return "a folder";
        }
        try {
            int type = ((Number) Files.getAttribute(file, "unix:mode")).intValue() & 0170000;
            return switch (type) {
                case 0010000 -> "a FIFO (named pipe)";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0140000 -> "a socket";
                default -> "a special file";
            };
        } catch (IOException | RuntimeException e) {
            return "a special file";
        }
    }

    private static String human(int bytes) {
        if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) {
            return bytes / (1024 * 1024) + " MiB";
        }
        if (bytes >= 1024 && bytes % 1024 == 0) {
            return bytes / 1024 + " KiB";
        }
        return bytes + " bytes";
    }
}
