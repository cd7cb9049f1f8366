package dev.berth.core.model;

import java.util.Objects;

/**
 * What a new volume starts with instead of nothing: a snapshot's data or another volume's.
 *
 * @param ref the snapshot ({@code <snapshot>}, {@code <volume>@<snapshot>} or a snapshot id) or
 *            the volume ({@code <volume>} or {@code <service>/<volume>}) as the user wrote it
 */
public record ContentSource(Kind kind, String ref) {
    public enum Kind { SNAPSHOT, VOLUME }

    public ContentSource {
        Objects.requireNonNull(kind, "kind");
        if (ref == null || ref.isBlank()) {
            throw new dev.berth.core.error.InvalidArgument("the " + kind.name().toLowerCase() + " to copy from is missing",
                    "name the " + kind.name().toLowerCase() + " to start the volume from");
        }
        if (ref.length() > 2 * Names.MAX_LENGTH + 1) {
            throw new dev.berth.core.error.InvalidArgument("the " + kind.name().toLowerCase() + " name is too long",
                    "use at most " + Names.MAX_LENGTH + " characters per name");
        }
    }

    public static ContentSource snapshot(String ref) {
        return new ContentSource(Kind.SNAPSHOT, ref);
    }

    public static ContentSource volume(String ref) {
        return new ContentSource(Kind.VOLUME, ref);
    }
}
