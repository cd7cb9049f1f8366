package dev.berth.core.service;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A volume as users see it: the stored record plus where it is attached and mounted now.
 * Nullable fields are null when they do not apply (e.g. {@code node} of a detached volume).
 *
 * @param status        "available", "attached" or "mounted"
 * @param node          node holding the claim, if any
 * @param epoch         claim epoch (0 if never claimed)
 * @param device        device or directory on the holder (known only on the holder)
 * @param mountPoint    where the filesystem is mounted on the holder
 * @param containerPath the path handed to containers ({@code <mountPoint>/data})
 * @param mountRefs     the mount references on the holder
 * @param details       driver facts (backing file, whether size is enforced, …)
 * @param events        the volume's last takeovers, preemptions and self-fencing (inspect only)
 */
public record VolumeView(String id, String name, String service, String driver, long sizeBytes,
                         String size, String fsType, Map<String, String> labels, Instant created,
                         String status, String node, long epoch, String device, String mountPoint,
                         String containerPath, List<String> mountRefs, Map<String, String> details,
                         List<dev.berth.core.model.Event> events) {
    public VolumeView {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        mountRefs = mountRefs == null ? List.of() : List.copyOf(mountRefs);
        details = details == null ? Map.of() : Map.copyOf(details);
        events = events == null ? List.of() : List.copyOf(events);
    }
}
