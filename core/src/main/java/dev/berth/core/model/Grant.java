package dev.berth.core.model;

import java.util.Objects;

/**
 * What a node holds after the controller gave it a claim: the fencing token it carries into every
 * write about the volume. The controller compares {@code revision} with the claim's current store
 * revision in the same transaction as the write, so a node whose claim was taken over, preempted
 * or released is refused ({@link dev.berth.core.error.Fenced}) whatever its clock says.
 *
 * @param revision the store revision of the claim this grant stands for (changes on every rewrite)
 * @param explicit the claim was taken by an explicit attach (kept until detach)
 * @param previous the node that held the volume before a takeover handed it to this one; null otherwise
 */
public record Grant(String volumeId, String node, long epoch, long revision, boolean explicit, String previous) {
    public Grant {
        Objects.requireNonNull(volumeId, "volumeId");
        Names.node(node);
        if (epoch < 1 || revision < 1) {
            throw new IllegalArgumentException("a grant needs an epoch and a revision: " + epoch + ", " + revision);
        }
    }
}
