package dev.berth.core.model;

import java.time.Instant;
import java.util.Objects;

/**
 * A create in progress, stored under {@code creating/<service>/<name>} before the backend object
 * exists: the name is taken and its future volume id fixed, so a retry after a crash (from any
 * controller) makes the same backend object instead of a second one. The create's last
 * transaction turns it into the volume record.
 *
 * @param by who reserved it (a controller instance, for messages)
 * @param at when; also the volume's creation time once it is recorded
 */
public record Reservation(String volumeId, VolumeSpec spec, String by, Instant at, CopyOf copyOf) {
    /**
     * The data a volume made as a copy starts with.
     *
     * @param snapshot true for a snapshot's object, false for another volume's
     * @param id         the snapshot's or the volume's id
     * @param filesystem the source's filesystem as recorded (null: never mounted), which the copy has too
     */
    public record CopyOf(boolean snapshot, String id, String backendId, long sizeBytes, String filesystem) {
        public CopyOf {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(backendId, "backendId");
        }

        /** What the volume record keeps of it ({@code snapshot:<id>} or {@code volume:<id>}). */
        public String origin() {
            return (snapshot ? "snapshot:" : "volume:") + id;
        }
    }

    public Reservation(String volumeId, VolumeSpec spec, String by, Instant at) {
        this(volumeId, spec, by, at, null);
    }

    public Reservation {
        Objects.requireNonNull(volumeId, "volumeId");
        Objects.requireNonNull(spec, "spec");
        by = by == null ? "" : by;
        Objects.requireNonNull(at, "at");
    }
}
