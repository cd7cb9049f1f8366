package dev.berth.core.service;

import dev.berth.core.model.Names;

/**
 * How callers name a volume: by name within a service, or by name alone when it is unique
 * across services ({@code service} null).
 */
public record VolumeRef(String name, String service) {
    public VolumeRef {
        Names.volume(name);
        if (service != null) {
            Names.service(service);
        }
    }

    public static VolumeRef of(String name) {
        return new VolumeRef(name, null);
    }

    /** Parses {@code <volume>} or {@code <service>/<volume>}. */
    public static VolumeRef parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        return slash < 0 ? new VolumeRef(text, null) : new VolumeRef(text.substring(slash + 1), text.substring(0, slash));
    }

    @Override
    public String toString() {
        return service == null ? name : service + "/" + name;
    }
}
