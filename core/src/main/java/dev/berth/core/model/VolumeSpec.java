package dev.berth.core.model;

import java.util.Map;
import java.util.Objects;

/** What a user asks for. Validated on construction: a spec that exists is a valid spec. */
public record VolumeSpec(String name, String service, long sizeBytes, FsType fsType, Map<String, String> labels) {
    public VolumeSpec {
        Names.volume(name);
        Names.service(service);
        if (sizeBytes < Size.MIN_BYTES) {
            throw new IllegalArgumentException("size below minimum: " + sizeBytes);
        }
        Objects.requireNonNull(fsType, "fsType");
        labels = Labels.check(labels);
    }
}
