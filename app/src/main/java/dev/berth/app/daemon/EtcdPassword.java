package dev.berth.app.daemon;

import dev.berth.core.error.InvalidArgument;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * The etcd user's password, from {@code store.etcd.passwordFile} only (a flag value would show in
 * {@code ps}): a regular file of at most 4 KiB that only its owner may read, one line (the
 * trailing newline is dropped, nothing else).
 */
final class EtcdPassword {
    private static final int MAX_BYTES = 4096;
    private static final Set<PosixFilePermission> SHARED = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);
    private static final String HINT = "write the password alone on one line, mode 0600: "
            + "(umask 077; printf '%s\\n' 'PASSWORD' > FILE)";

    private EtcdPassword() {
    }

    static String read(Path file) {
        String what = "etcd password file " + file;
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new InvalidArgument(what + " is not a regular file (or does not exist)", HINT);
            }
            if (Files.size(file) > MAX_BYTES) {
                throw new InvalidArgument(what + " is larger than " + MAX_BYTES + " bytes", HINT);
            }
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (mode.stream().anyMatch(SHARED::contains)) {
                throw new InvalidArgument(what + " may be read or written by others (mode "
                        + java.nio.file.attribute.PosixFilePermissions.toString(mode) + ")", "chmod 600 " + file);
            }
            String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            String password = text.endsWith("\r\n") ? text.substring(0, text.length() - 2)
                    : text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
            if (password.isEmpty() || password.contains("\n")) {
                throw new InvalidArgument(what + (password.isEmpty() ? " is empty" : " has more than one line"), HINT);
            }
            return password;
        } catch (IOException e) {
            throw new InvalidArgument("cannot read " + what + ": " + e.getMessage(), "check the path and its mode", e);
        }
    }
}
