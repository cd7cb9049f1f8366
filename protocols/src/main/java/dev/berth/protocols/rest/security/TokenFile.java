package dev.berth.protocols.rest.security;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.io.BoundedFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * An agent's token, read from a file ({@code controller.tokenFile}) so that it never sits on a
 * command line, where {@code ps} shows it to every local user. The file must be a regular file
 * that only its owner may read or write (0600 or 0400, as ssh wants of private keys), at most
 * {@value #MAX_BYTES} bytes, holding one token; surrounding white space (the trailing newline an
 * editor or {@code echo} adds) is dropped.
 */
public final class TokenFile {
    public static final int MAX_BYTES = 16 * 1024;
    private static final Set<PosixFilePermission> SHARED = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);
    private static final String MAKE = "write the agent's node token there with mode 0600: "
            + "(umask 077; berth token new --node ID --key KEY > FILE) on the controller";

    private TokenFile() {
    }

    /** The token in {@code file}; InvalidArgument with a hint for every way the file can be wrong. */
    public static String read(Path file) {
        String what = "token file " + file;
        // Type and size first (BoundedFiles): a FIFO or /dev/zero here must not hang or fill the heap.
        byte[] bytes = BoundedFiles.readIfExists(file, "token file", MAX_BYTES)
                .orElseThrow(() -> new InvalidArgument(what + " does not exist", MAKE));
        checkPrivate(file, what);
        String token = new String(bytes, StandardCharsets.US_ASCII).strip();
        if (token.isEmpty()) {
            throw new InvalidArgument(what + " is empty", MAKE);
        }
        for (int i = 0; i < token.length(); i++) {
            char ch = token.charAt(i);
            if (ch <= ' ' || ch > '~') {
                throw new InvalidArgument(what + " holds more than one token, or characters no token has "
                        + "(character " + (i + 1) + ")", "the file must hold only the token, on one line, "
                        + "as `berth token new` prints it");
            }
        }
        return token;
    }

    private static void checkPrivate(Path file, String what) {
        Set<PosixFilePermission> mode;
        try {
            mode = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return; // not a POSIX file system: nothing to check
        } catch (IOException e) {
            throw new InvalidArgument("cannot read the mode of " + what + ": " + e.getMessage(), "check the path", e);
        }
        Set<PosixFilePermission> shared = EnumSet.copyOf(SHARED);
        shared.retainAll(mode);
        if (!shared.isEmpty()) {
            throw new InvalidArgument(what + " has mode " + PosixFilePermissions.toString(mode)
                    + ": other users may read or change the token",
                    "make it private to its owner: chmod 600 " + file);
        }
    }
}
