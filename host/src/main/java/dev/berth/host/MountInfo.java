package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.spi.HostOps.MountEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads this process's mount table from /proc/self/mountinfo (no tool, so it also works for
 * non-root users). Line format, see proc(5):
 * {@code 36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue}:
 * mount point is field 5; after the "-" separator come fs type and source. The kernel escapes
 * space, tab, newline and backslash as octal (\040, \011, \012, \134).
 */
final class MountInfo {
    static final Path SELF = Path.of("/proc/self/mountinfo");

    private MountInfo() {
    }

    static List<MountEntry> read() {
        try {
            return parse(new String(Files.readAllBytes(SELF), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new BackendFailure("cannot read " + SELF + ": " + e.getMessage(), "is /proc mounted?", e);
        }
    }

    /** Entries in mountinfo order (a later entry on the same mount point is stacked on top). */
    static List<MountEntry> parse(String content) {
        List<MountEntry> entries = new ArrayList<>();
        for (String line : content.split("\n")) {
            parseLine(line).ifPresent(entries::add);
        }
        return entries;
    }

    static Optional<MountEntry> parseLine(String line) {
        String[] f = line.split(" ");
        int separator = -1;
        // Optional fields (shared:N, master:N, ...) sit between field 6 and the "-" separator.
        for (int i = 6; i < f.length; i++) {
            if (f[i].equals("-")) {
                separator = i;
                break;
            }
        }
        if (separator < 0 || separator + 2 >= f.length) {
            return Optional.empty();
        }
        try {
            Path target = Path.of(EscapedText.octal(f[4]));
            return Optional.of(new MountEntry(EscapedText.octal(f[separator + 2]), target,
                    EscapedText.octal(f[separator + 1]), EscapedText.octal(f[3]), List.of(f[5].split(","))));
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    /** The topmost mount whose mount point is exactly {@code target} (or its resolved form). */
    static Optional<MountEntry> at(List<MountEntry> entries, Path target) {
        Path real = realPath(target);
        MountEntry found = null;
        for (MountEntry e : entries) {
            if (e.target().equals(target) || e.target().equals(real)) {
                found = e;
            }
        }
        return Optional.ofNullable(found);
    }

    private static Path realPath(Path target) {
        try {
            return target.toRealPath();
        } catch (IOException e) {
            return target; // gone or unreadable: only the literal path can match
        }
    }
}
