package dev.berth.core.model;

import dev.berth.core.error.InvalidArgument;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Rules for mount reference strings, which become (encoded) parts of store keys. References live
 * in namespaces so that one protocol's caller can never drop another's: Docker's mount IDs are
 * stored as {@code docker:<ID>}, CSI's will be {@code csi:<target path>}, and a REST/CLI caller's
 * reference is stored as given but may not start with one of those prefixes.
 */
public final class MountRefs {
    public static final int MAX_LENGTH = 4096;
    public static final String DOCKER = "docker:";
    public static final String CSI = "csi:";
    /** Prefixes only Berth's own protocol front ends may write. */
    public static final List<String> RESERVED = List.of(DOCKER, CSI);
    /** What dockerd sends as a mount ID, and what Berth before namespaces stored as the reference. */
    private static final Pattern DOCKER_ID = Pattern.compile("[0-9a-f]{64}");

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

    /** A reference given by a REST or CLI caller: checked, and outside every reserved namespace. */
    public static String user(String ref) {
        check(ref);
        String lower = ref.toLowerCase(Locale.ROOT);
        for (String prefix : RESERVED) {
            if (lower.startsWith(prefix)) {
                throw new InvalidArgument("mount reference '" + shown(ref) + "' starts with '" + prefix
                        + "', which is reserved for " + (prefix.equals(DOCKER) ? "Docker's" : "CSI's") + " mounts",
                        "choose another reference (e.g. the name of your app); to drop all references of a volume, "
                                + "detach it with --force");
            }
        }
        return ref;
    }

    /** The stored reference of Docker mount ID {@code id}. */
    public static String docker(String id) {
        if (id == null || id.isEmpty()) {
            throw new InvalidArgument("the Docker mount ID is missing", "send the caller's mount ID");
        }
        return check(DOCKER + id);
    }

    /** True for a reference an older Berth stored for Docker: a bare 64-hex mount ID. */
    public static boolean isLegacyDocker(String ref) {
        return ref != null && DOCKER_ID.matcher(ref).matches();
    }

    private static String shown(String ref) {
        return ref.length() > 80 ? ref.substring(0, 80) + "…" : ref;
    }
}
