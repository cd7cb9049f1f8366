package dev.berth.core.model;

import java.time.Instant;
import java.util.Objects;

/**
 * A point-in-time copy of a volume, stored under {@code snapshots/<id>}. It outlives its volume
 * (its backend object is a copy, not a diff), so it names the volume by id and by the name and
 * service the volume had.
 *
 * @param method      how the backend made it: "reflink" (a copy-on-write clone, instant) or "copy"
 * @param consistency "clean" (no node had it attached), "frozen" (its filesystem was frozen on the
 *                    node that had it mounted, around the copy) or "crash-consistent" (attached
 *                    without a filesystem Berth could freeze; an atomic reflink)
 * @param filesystem  the filesystem the volume had when copied (its record's), or null if never mounted
 */
public record Snapshot(String id, String name, String volumeId, String volumeName, String service, String driver,
                       String backendId, long sizeBytes, FsType fsType, String method, String consistency,
                       Instant created, String filesystem) {
    public Snapshot {
        Objects.requireNonNull(id, "id");
        Names.snapshot(name);
        Objects.requireNonNull(volumeId, "volumeId");
        Names.volume(volumeName);
        Names.service(service);
        Objects.requireNonNull(driver, "driver");
        Objects.requireNonNull(backendId, "backendId");
        Objects.requireNonNull(fsType, "fsType");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(consistency, "consistency");
        Objects.requireNonNull(created, "created");
    }
}
