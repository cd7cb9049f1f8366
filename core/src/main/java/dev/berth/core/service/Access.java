package dev.berth.core.service;

import dev.berth.core.error.InvalidArgument;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * How a caller wants a volume at a path it chose (an orchestrator's staging or target path): as a
 * block device or a filesystem, which filesystem it expects, the per-mount flags of the path,
 * read-only or not, and whether several paths on the node may use it at once.
 *
 * @param fsType      the filesystem the caller expects, or null for whatever the volume holds
 * @param flags       per-mount flags for the path (see {@link #FLAGS})
 * @param multiWriter whether the volume may be at several paths of the node at once
 */
public record Access(boolean block, String fsType, List<String> flags, boolean readOnly, boolean multiWriter) {
    /** What a bind mount can take: they change how the path behaves, never the filesystem. */
    public static final Set<String> FLAGS = Set.of("ro", "nosuid", "nodev", "noexec", "noatime", "nodiratime",
            "relatime", "strictatime");

    public Access {
        flags = flags == null ? List.of() : List.copyOf(new TreeSet<>(flags));
        for (String f : flags) {
            if (!FLAGS.contains(f)) {
                throw new InvalidArgument("mount flag '" + shown(f) + "' is not one Berth can apply to a volume's path",
                        "use only " + new TreeSet<>(FLAGS) + "; the filesystem's own options are Berth's to choose");
            }
        }
        if (flags.contains("ro")) {
            readOnly = true;
            flags = flags.stream().filter(f -> !f.equals("ro")).toList();
        }
        if (block && (fsType != null || !flags.isEmpty())) {
            throw new InvalidArgument("a block volume has no filesystem type or mount flags",
                    "ask for a mount volume, or drop fs_type and mount_flags");
        }
    }

    /** The flags a bind mount of the path gets (ro included when read-only). */
    public List<String> bindFlags() {
        if (!readOnly) {
            return flags;
        }
        List<String> all = new java.util.ArrayList<>(flags);
        all.add("ro");
        return List.copyOf(all);
    }

    /** A short, stable digest of everything here: two requests with the same one ask for the same. */
    public String fingerprint() {
        String canonical = (block ? "block" : "mount") + "|" + (fsType == null ? "" : fsType) + "|"
                + String.join(",", flags) + "|" + (readOnly ? "ro" : "rw") + "|" + (multiWriter ? "multi" : "single");
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String shown(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
}
