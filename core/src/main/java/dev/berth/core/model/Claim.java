package dev.berth.core.model;

import java.time.Instant;
import java.util.Objects;

/**
 * Who holds a volume: stored under {@code claims/<id>}. The claim key has no lease of its own: it
 * names the holder's node lease ({@code lease}), and the claim is alive while that lease is. A
 * claim whose holder's lease is gone is taken over by the controller only (after a grace, with
 * the backend's fence and an event), never by lease expiry alone. The epoch grows by one on every
 * change of holder, so a node that comes back after losing a claim can tell that it must not touch
 * the volume again.
 *
 * @param explicit true when taken by an explicit attach (kept until detach); false when taken by a
 *                 mount (released with the last mount reference)
 * @param lease    the holder's node lease when it took (or last re-bound) the claim; 0 for a claim
 *                 written by a Berth before grants, whose key itself was bound to the lease
 */
public record Claim(String volumeId, String node, long epoch, boolean explicit, Instant since, long lease) {
    public Claim {
        Objects.requireNonNull(volumeId, "volumeId");
        Names.node(node);
        if (epoch < 1) {
            throw new IllegalArgumentException("epoch starts at 1: " + epoch);
        }
        Objects.requireNonNull(since, "since");
    }

    public Claim(String volumeId, String node, long epoch, boolean explicit, Instant since) {
        this(volumeId, node, epoch, explicit, since, 0);
    }

    public Grant grant(long revision, String previous) {
        return new Grant(volumeId, node, epoch, revision, explicit, previous);
    }
}
