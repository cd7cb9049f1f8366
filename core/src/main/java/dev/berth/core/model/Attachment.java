package dev.berth.core.model;

import java.util.Objects;

/**
 * Node-local fact kept under {@code attachments/<node>/<id>}: where a volume is attached and
 * mounted on that node. Reads (inspect, Docker Get) use it so they never run a host tool.
 *
 * @param mountPoint null while attached but not mounted
 */
public record Attachment(String volumeId, String device, boolean block, String mountPoint) {
    public Attachment {
        Objects.requireNonNull(volumeId, "volumeId");
        Objects.requireNonNull(device, "device");
    }

    public Attachment withMountPoint(String mp) {
        return new Attachment(volumeId, device, block, mp);
    }
}
