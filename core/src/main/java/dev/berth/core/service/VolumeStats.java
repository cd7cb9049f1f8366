package dev.berth.core.service;

import dev.berth.core.spi.HostOps;

/**
 * What a node knows about a volume at one of its paths: the filesystem's space and inodes (null for
 * a block volume, which has only its size), and whether something is wrong with it there.
 *
 * @param abnormal true when the volume is not healthy at that path (taken by another node, device
 *                 gone, nothing mounted); {@code message} says what
 */
public record VolumeStats(boolean block, long sizeBytes, HostOps.FsStats filesystem, boolean abnormal, String message) {
    public VolumeStats {
        message = message == null ? "" : message;
    }
}
