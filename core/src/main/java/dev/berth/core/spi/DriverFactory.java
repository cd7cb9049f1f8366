package dev.berth.core.spi;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** Builds a driver for a configured service; one factory per driver kind. */
public interface DriverFactory {
    String kind();

    /** Option names this driver accepts (anything else is a configuration error). */
    Set<String> options();

    /** Options that must be set: a service without them is refused when the configuration is loaded. */
    default Set<String> requiredOptions() {
        return Set.of();
    }

    StorageDriver create(String service, Map<String, String> options, HostOps host);

    /**
     * As {@link #create(String, Map, HostOps)}, for a node whose state folder is {@code stateDir}
     * (config key stateDir), where a driver may keep what only this node knows (the loop driver:
     * the loop devices it attached). Drivers that keep nothing ignore it.
     */
    default StorageDriver create(String service, Map<String, String> options, HostOps host, Path stateDir) {
        return create(service, options, host);
    }

    /** As above, also knowing where this node mounts volumes (config key mountRoot). */
    default StorageDriver create(String service, Map<String, String> options, HostOps host, Path stateDir, Path mountRoot) {
        return create(service, options, host, stateDir);
    }
}
