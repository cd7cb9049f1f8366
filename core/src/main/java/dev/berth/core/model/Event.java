package dev.berth.core.model;

import java.time.Instant;
import java.util.Objects;

/**
 * Something that changed who may write a volume, kept under {@code events/<id>} for
 * {@code berth events} and {@code berth volume inspect}: a takeover from a dead node, a forced
 * preemption, a node fencing itself, a guard refusing a mount.
 *
 * @param kind   {@link #TAKEOVER}, {@link #PREEMPT}, {@link #RELEASE_DEAD}, {@link #SELF_FENCED} or {@link #GAVE_UP}
 * @param from   the node that held the volume (or fenced itself)
 * @param to     the node that holds it now; null when nobody does
 * @param epoch  the volume's epoch after the event
 * @param reason why, in words: whose lease ended when, what the backend's fence did
 */
public record Event(String id, Instant at, String kind, String volumeId, String volume, String from, String to,
                    long epoch, String reason) {
    public static final String TAKEOVER = "takeover";
    public static final String PREEMPT = "preempt";
    public static final String RELEASE_DEAD = "release-dead";
    public static final String SELF_FENCED = "self-fenced";
    public static final String GAVE_UP = "gave-up";

    public Event {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(volumeId, "volumeId");
        reason = reason == null ? "" : reason;
    }
}
