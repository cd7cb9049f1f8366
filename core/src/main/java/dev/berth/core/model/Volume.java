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
 * @param origin     what it was made from: {@code snapshot:<id>}, {@code volume:<id>}, or null for
 *                   an empty volume
 */
public record Volume(String id, String name, String service, String driver, String backendId,
                     long sizeBytes, FsType fsType, Map<String, String> labels, Instant created,
                     String filesystem, String origin) {
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

    public Volume(String id, String name, String service, String driver, String backendId, long sizeBytes,
                  FsType fsType, Map<String, String> labels, Instant created, String filesystem) {
        this(id, name, service, driver, backendId, sizeBytes, fsType, labels, created, filesystem, null);
    }

    public Volume withFilesystem(String fs) {
        return new Volume(id, name, service, driver, backendId, sizeBytes, fsType, labels, created, fs, origin);
    }

    public Volume withSize(long bytes) {
        return new Volume(id, name, service, driver, backendId, bytes, fsType, labels, created, filesystem, origin);
    }

    public VolumeSpec spec() {
        return new VolumeSpec(name, service, sizeBytes, fsType, labels);
    }
}
