package dev.berth.core.service;

import dev.berth.core.model.ContentSource;
import java.util.Map;

/**
 * A create request as it arrives from a user: text fields, validated by the service. Null size,
 * fsType or service mean "the configured default" (for a volume made from a source: the source's
 * size and filesystem).
 *
 * @param source   what the volume starts with, or null for an empty volume
 * @param frozenBy as {@link CreateSnapshot#frozenBy()}, when {@code source} is a mounted volume
 */
public record CreateVolume(String name, String service, String size, String fsType, Map<String, String> labels,
                           ContentSource source, String frozenBy) {
    public CreateVolume {
        labels = labels == null ? Map.of() : labels;
        if (frozenBy != null) {
            dev.berth.core.model.Names.node(frozenBy);
        }
    }

    public CreateVolume(String name, String service, String size, String fsType, Map<String, String> labels) {
        this(name, service, size, fsType, labels, null, null);
    }

    public CreateVolume frozenBy(String node) {
        return new CreateVolume(name, service, size, fsType, labels, source, node);
    }
}
