package dev.berth.core.model;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A volume as stored under {@code volumes/<id>}. {@code backendId} is what the driver calls it
 * (a file name for loop, a folder for dir, an image name for rbd).
 *
 * @param filesystem the filesystem Berth last mounted it with, or null if it never did; lets a
 *                   re-mount skip probing (a probe still runs if that mount fails)
 */
public record Volume(String id, String name, String service, String driver, String backendId,
                     long sizeBytes, FsType fsType, Map<String, String> labels, Instant created,
                     String filesystem) {
    public Volume {
        Objects.requireNonNull(id, "id");
        Names.volume(name);
        Names.service(service);
        Objects.requireNonNull(driver, "driver");
        Objects.requireNonNull(backendId, "backendId");
        Objects.requireNonNull(fsType, "fsType");
        Objects.requireNonNull(created, "created");
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    public Volume withFilesystem(String fs) {
        return new Volume(id, name, service, driver, backendId, sizeBytes, fsType, labels, created, fs);
    }

    public VolumeSpec spec() {
        return new VolumeSpec(name, service, sizeBytes, fsType, labels);
    }
}
