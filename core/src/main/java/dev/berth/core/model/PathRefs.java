package dev.berth.core.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Mount references for volumes at paths an orchestrator chose, in the {@code csi:} namespace:
 * {@code csi:stage:<fingerprint>:<path>} and {@code csi:publish:<fingerprint>:<path>} ({@code stage-block},
 * {@code publish-block} for block volumes). The
 * fingerprint of what was asked (see {@code Access}) is kept with the path, so that the same
 * request again is recognised and a different one at the same path is refused.
 */
public final class PathRefs {
    public enum Kind {
        STAGE("stage"), PUBLISH("publish");

        private final String word;

        Kind(String word) {
            this.word = word;
        }
    }

    /** A parsed reference; {@code block} for a block volume (nothing mounted at a staging path). */
    public record Ref(Kind kind, boolean block, String fingerprint, Path path, String text) {
    }

    private PathRefs() {
    }

    public static String of(Kind kind, boolean block, String fingerprint, Path path) {
        if (!fingerprint.matches("[0-9a-f]{8}")) {
            throw new IllegalArgumentException("fingerprint " + fingerprint);
        }
        return MountRefs.check(MountRefs.CSI + kind.word + (block ? BLOCK : "") + ":" + fingerprint + ":" + path);
    }

    private static final String BLOCK = "-block";

    public static Optional<Ref> parse(String ref) {
        if (ref == null || !ref.startsWith(MountRefs.CSI)) {
            return Optional.empty();
        }
        String rest = ref.substring(MountRefs.CSI.length());
        for (Kind k : Kind.values()) {
            boolean block = rest.startsWith(k.word + BLOCK + ":");
            String head = k.word + (block ? BLOCK : "") + ":";
            // "<kind>:<8 hex>:/path"
            if (rest.startsWith(head) && rest.length() > head.length() + 10 && rest.charAt(head.length() + 8) == ':'
                    && rest.charAt(head.length() + 9) == '/') {
                String fp = rest.substring(head.length(), head.length() + 8);
                if (fp.matches("[0-9a-f]{8}")) {
                    return Optional.of(new Ref(k, block, fp, Path.of(rest.substring(head.length() + 9)), ref));
                }
            }
        }
        return Optional.empty();
    }

    /** The reference of {@code kind} at {@code path} among {@code refs}, whatever its fingerprint. */
    public static Optional<Ref> at(List<String> refs, Kind kind, Path path) {
        return refs.stream().map(PathRefs::parse).flatMap(Optional::stream)
                .filter(r -> r.kind() == kind && r.path().equals(path)).findFirst();
    }

    /** True for a reference of a block volume at an orchestrator's path (the device is used raw). */
    public static boolean isBlock(String ref) {
        return parse(ref).map(Ref::block).orElse(false);
    }

    public static List<Ref> all(List<String> refs, Kind kind) {
        return refs.stream().map(PathRefs::parse).flatMap(Optional::stream).filter(r -> r.kind() == kind).toList();
    }
}
