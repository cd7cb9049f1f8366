package dev.berth.core.model;

import java.time.Instant;
import java.util.Objects;

/**
 * Who holds a volume: stored under {@code claims/<id>}, bound to the holder's node lease. The epoch
 * grows by one on every change of holder, so a node that comes back after losing a claim can tell
 * that it must not touch the volume again.
 *
 * @param explicit true when taken by an explicit attach (kept until detach); false when taken by a
 *                 mount (released with the last mount reference)
 */
public record Claim(String volumeId, String node, long epoch, boolean explicit, Instant since) {
    public Claim {
        Objects.requireNonNull(volumeId, "volumeId");
        Names.node(node);
        if (epoch < 1) {
            throw new IllegalArgumentException("epoch starts at 1: " + epoch);
        }
        Objects.requireNonNull(since, "since");
    }
}
