package dev.berth.core.service;

import java.time.Instant;
import java.util.Map;

/**
 * A snapshot as users see it.
 *
 * @param volumeExists whether the volume it was taken of still exists (a snapshot outlives it)
 * @param method       "reflink" or "copy" (see {@link dev.berth.core.model.Snapshot})
 * @param consistency  "clean", "frozen" or "crash-consistent"
 * @param details      driver facts (the file, how much of it is shared, …)
 */
public record SnapshotView(String id, String name, String volumeId, String volumeName, String service,
                           String driver, long sizeBytes, String size, String fsType, String method,
                           String consistency, Instant created, boolean volumeExists, Map<String, String> details) {
    public SnapshotView {
        details = details == null ? Map.of() : Map.copyOf(details);
    }
}
