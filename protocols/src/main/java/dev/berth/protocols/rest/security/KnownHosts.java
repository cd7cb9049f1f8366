package dev.berth.protocols.rest.security;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.io.BoundedFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The trust-on-first-use file: one line per server, {@code host:port sha256:<64 hex>}; blank lines
 * and lines starting with '#' are ignored, as are lines that do not parse (a hand edit should not
 * lock the user out of every server). A host may have several lines; any of them matches.
 */
final class KnownHosts {
    /** One process records one host at a time, and re-reads the file first, so it records it once. */
    private static final Object WRITE_LOCK = new Object();
    private final Path file;

    KnownHosts(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** The fingerprints recorded for {@code hostPort}; empty when the host is unknown. */
    List<String> lookup(String hostPort) {
        String key = hostPort.toLowerCase(Locale.ROOT);
        List<String> found = new ArrayList<>();
        for (String line : lines()) {
            String[] f = line.strip().split("\\s+");
            if (f.length < 2 || f[0].startsWith("#") || !f[0].toLowerCase(Locale.ROOT).equals(key)) {
                continue;
            }
            try {
                found.add(Fingerprints.parse(f[1]));
            } catch (InvalidArgument malformed) {
                // skipped, see the class comment
            }
        }
        return found;
    }

    /**
     * Records {@code hostPort} unless a line for it exists by now; true when this call added it. The
     * file is rewritten atomically, mode 0600, in a folder created 0700.
     */
    boolean recordIfAbsent(String hostPort, String fingerprint) {
        synchronized (WRITE_LOCK) {
            if (!lookup(hostPort).isEmpty()) {
                return false;
            }
            StringBuilder content = new StringBuilder();
            for (String line : lines()) {
                content.append(line).append('\n');
            }
            content.append(hostPort.toLowerCase(Locale.ROOT)).append(' ').append(fingerprint).append('\n');
            try {
                PrivateFiles.ensureDir(file.toAbsolutePath().getParent());
                PrivateFiles.write(file, content.toString().getBytes(StandardCharsets.UTF_8), PrivateFiles.FILE_0600);
            } catch (IOException e) {
                throw new BackendFailure("cannot record " + hostPort + " in " + file + ": " + e.getMessage(),
                        "make " + file.getParent() + " writable, or pin the server's fingerprint instead", e);
            }
            return true;
        }
    }

    private List<String> lines() {
        return BoundedFiles.readIfExists(file, "known hosts file", BoundedFiles.KNOWN_HOSTS_LIMIT)
                .map(bytes -> new String(bytes, StandardCharsets.UTF_8).lines().toList())
                .orElse(List.of());
    }
}
