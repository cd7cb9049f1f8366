package dev.berth.core.model;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What attaching a volume to a host yields: a block device to format and mount, or a directory
 * that is used as it is.
 */
public record Device(Path path, boolean block) {
    public Device {
        Objects.requireNonNull(path, "path");
    }
}
