package dev.berth.core.service;

import java.util.Map;

/**
 * A create request as it arrives from a user: text fields, validated by the service. Null size,
 * fsType or service mean "the configured default".
 */
public record CreateVolume(String name, String service, String size, String fsType, Map<String, String> labels) {
    public CreateVolume {
        labels = labels == null ? Map.of() : labels;
    }
}
