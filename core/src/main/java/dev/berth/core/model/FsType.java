package dev.berth.core.model;

import dev.berth.core.error.InvalidArgument;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Filesystems Berth formats block volumes with, each with the smallest device its mkfs accepts. */
public enum FsType {
    /** mkfs.ext4 makes a filesystem on 1 MiB, but without a journal below a few MiB: Berth's floor is higher. */
    EXT4(Size.MIN_BYTES),
    /** mkfs.xfs (xfsprogs 5.19 and later) refuses anything smaller: "Filesystem must be larger than 300MB". */
    XFS(300L << 20);

    private final long minBytes;
    /** Computed once: every volume of a listing asks for it. */
    private final String id;

    FsType(long minBytes) {
        this.minBytes = minBytes;
        this.id = name().toLowerCase(Locale.ROOT);
    }

    /** The smallest volume this filesystem is made on. */
    public long minBytes() {
        return minBytes;
    }

    /**
     * Refuses a size this filesystem cannot be made on, at create: otherwise the volume would be
     * accepted and every first mount would fail in mkfs.
     */
    public void requireFits(long sizeBytes) {
        if (sizeBytes < minBytes) {
            String others = Arrays.stream(values()).filter(t -> t != this && sizeBytes >= t.minBytes)
                    .map(t -> " or use " + t.id()).collect(Collectors.joining());
            throw new InvalidArgument("a " + Size.format(sizeBytes) + " volume is too small for " + id()
                    + ": " + id() + " needs at least " + Size.format(minBytes),
                    "ask for at least " + Size.format(minBytes) + others);
        }
    }

    public String id() {
        return id;
    }

    public static FsType parse(String text) {
        if (text != null) {
            for (FsType t : values()) {
                if (t.id().equalsIgnoreCase(text.strip())) {
                    return t;
                }
            }
        }
        String valid = Arrays.stream(values()).map(FsType::id).collect(Collectors.joining(", "));
        throw new InvalidArgument("filesystem type '" + text + "' is not supported", "use one of: " + valid);
    }

    @Override
    public String toString() {
        return id();
    }
}
