package dev.berth.core.model;

import dev.berth.core.error.InvalidArgument;

/** Rules for mount reference strings, which become (encoded) parts of store keys. */
public final class MountRefs {
    public static final int MAX_LENGTH = 4096;

    private MountRefs() {
    }

    public static String check(String ref) {
        if (ref == null || ref.isBlank()) {
            throw new InvalidArgument("mount reference is missing", "pass an ID that names the user of the mount");
        }
        if (ref.length() > MAX_LENGTH || ref.indexOf('\0') >= 0) {
            throw new InvalidArgument("mount reference is too long or has a NUL",
                    "use at most " + MAX_LENGTH + " characters");
        }
        return ref;
    }
}
