package dev.berth.core.model;

import java.time.Instant;

/** Kept without a lease under {@code nodeinfo/<id>}, so expired nodes still show in `node ls`. */
public record NodeRegistration(Node node, Instant registered) {
}
