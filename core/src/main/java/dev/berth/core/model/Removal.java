package dev.berth.core.model;

import java.time.Instant;
import java.util.Objects;

/**
 * A remove in progress, stored under {@code removing/<id>} in the transaction that checked the
 * volume has no claim: from then on no claim can be taken, the backend object is removed, and the
 * last transaction deletes the records. A retry or the controller's reconcile finishes it.
 */
public record Removal(String volumeId, String service, String name, String backendId, String by, Instant at) {
    public Removal {
        Objects.requireNonNull(volumeId, "volumeId");
        Names.service(service);
        Names.volume(name);
        Objects.requireNonNull(backendId, "backendId");
        by = by == null ? "" : by;
        Objects.requireNonNull(at, "at");
    }
}
