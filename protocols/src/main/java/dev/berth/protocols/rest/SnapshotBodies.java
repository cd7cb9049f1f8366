package dev.berth.protocols.rest;

import java.util.List;

/** Bodies of the snapshot and expansion routes (docs/api.md). */
public final class SnapshotBodies {
    private SnapshotBodies() {
    }

    /**
     * {@code POST /v1/snapshots}.
     *
     * @param frozenBy as {@link CreateVolumeBody#frozenBy()}: an agent's, never a user's
     */
    public record Create(String volume, String service, String name, String frozenBy) {
        static final String EXAMPLE = "{\"volume\":\"db\",\"name\":\"before-upgrade\"}";
    }

    /** {@code POST /v1/volumes/{name}/expand}. */
    public record Expand(String size) {
        static final String EXAMPLE = "{\"size\":\"2G\"}";
    }

    /** The answer of a volume remove that removed snapshots with it ({@code volume@snapshot}; 200, or 204 when it removed none). */
    public record Removed(List<String> removedSnapshots) {
    }
}
