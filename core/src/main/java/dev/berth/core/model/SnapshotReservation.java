package dev.berth.core.model;

import java.time.Instant;
import java.util.Objects;

/**
 * A snapshot in progress, stored under {@code snapshotting/<volumeId>/<name>} before the copy
 * starts: the name is taken and the snapshot id fixed, so a retry continues the same snapshot. The
 * last transaction turns it into the record, if the volume was neither removed nor claimed anew
 * meanwhile; the controller's reconcile drops one that was cut off (a point in time cannot be
 * finished later).
 *
 * @param claimRevision the revision of the volume's claim when its consistency was decided (0: no claim)
 */
public record SnapshotReservation(String snapshotId, String volumeId, String name, String by, Instant at,
                                  long claimRevision) {
    public SnapshotReservation {
        Objects.requireNonNull(snapshotId, "snapshotId");
        Objects.requireNonNull(volumeId, "volumeId");
        Names.snapshot(name);
        by = by == null ? "" : by;
        Objects.requireNonNull(at, "at");
    }
}
