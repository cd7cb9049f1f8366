package dev.berth.core.service;

import java.util.Objects;

/**
 * A snapshot request.
 *
 * @param frozenBy the node that froze the volume's filesystem for this copy and thaws it after, or
 *                 null. The controller copies a volume that a live node has mounted only when that
 *                 node froze it: it alone can (see {@link CombinedVolumes}).
 */
public record CreateSnapshot(VolumeRef volume, String name, String frozenBy) {
    public CreateSnapshot {
        Objects.requireNonNull(volume, "volume");
        dev.berth.core.model.Names.snapshot(name);
        if (frozenBy != null) {
            dev.berth.core.model.Names.node(frozenBy);
        }
    }

    public CreateSnapshot frozenBy(String node) {
        return new CreateSnapshot(volume, name, node);
    }
}
