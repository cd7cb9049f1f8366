package dev.berth.core.model;

import java.time.Instant;
import java.util.Objects;

/** One user of a mounted volume on a node: a Docker mount ID, a CSI target path, a CLI caller. */
public record MountRef(String volumeId, String node, String ref, Instant since) {
    public MountRef {
        Objects.requireNonNull(volumeId, "volumeId");
        Names.node(node);
        MountRefs.check(ref);
        Objects.requireNonNull(since, "since");
    }
}
