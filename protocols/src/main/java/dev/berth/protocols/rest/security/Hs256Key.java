package dev.berth.protocols.rest.security;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.io.BoundedFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The HS256 shared secret: the exact bytes of a file (no trimming, no encoding), at least 32 as
 * RFC 7518 requires for HS256. Whoever can read it can mint tokens, hence 0600.
 */
final class Hs256Key {
    static final int LENGTH = 32;
    private static final Logger LOG = Logger.getLogger(Hs256Key.class.getName());

    private Hs256Key() {
    }

    static byte[] read(Path file) {
        byte[] key = BoundedFiles.readIfExists(file, "token key", BoundedFiles.SECRET_LIMIT)
                .orElseThrow(() -> new InvalidArgument("token key " + file + " does not exist",
                        "give the controller's HS256 key file (the controller creates it at first start)"));
        if (key.length < LENGTH) {
            throw new InvalidArgument("token key " + file + " has " + key.length + " bytes; HS256 needs at least " + LENGTH,
                    "remove it and let Berth create a new one, or write one with: head -c 32 /dev/urandom > " + file);
        }
        warnIfShared(file);
        return key;
    }

    /** Creates {@code file} with 32 random bytes, mode 0600, unless it exists; returns it. */
    static Path ensure(Path file) {
        if (Files.exists(file)) {
            return file;
        }
        byte[] key = new byte[LENGTH];
        new SecureRandom().nextBytes(key);
        try {
            PrivateFiles.ensureDir(file.toAbsolutePath().getParent());
            PrivateFiles.createNew(file, key, PrivateFiles.FILE_0600); // false: another process made it first
        } catch (IOException e) {
            throw new BackendFailure("cannot create token key " + file + ": " + e.getMessage(),
                    "check that " + file.toAbsolutePath().getParent() + " is writable", e);
        }
        return file;
    }

    private static void warnIfShared(Path file) {
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (mode.contains(PosixFilePermission.GROUP_READ) || mode.contains(PosixFilePermission.OTHERS_READ)) {
                LOG.warning("token key " + file + " is readable by other users, who can then mint tokens; chmod 600 " + file);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system: nothing to check
        }
    }
}
