package dev.berth.core.service;

import dev.berth.core.model.FsType;
import dev.berth.core.model.Size;
import java.util.Objects;

/** What a create request gets when it leaves size or filesystem out. */
public record VolumeDefaults(long sizeBytes, FsType fsType) {
    public VolumeDefaults {
        if (sizeBytes < Size.MIN_BYTES) {
            throw new IllegalArgumentException("default size below the minimum");
        }
        Objects.requireNonNull(fsType);
    }
}
