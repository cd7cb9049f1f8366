package dev.berth.core.model;

import dev.berth.core.error.InvalidArgument;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Filesystems Berth formats block volumes with. */
public enum FsType {
    EXT4, XFS;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
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
