package dev.berth.core.service;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.model.Names;
import dev.berth.core.spi.StorageDriver;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The configured services: each a name bound to one driver instance. */
public final class ServiceRegistry {
    private final Map<String, StorageDriver> drivers;
    private final String defaultService;

    public ServiceRegistry(Map<String, StorageDriver> drivers, String defaultService) {
        if (drivers.isEmpty()) {
            throw new IllegalArgumentException("at least one service is needed");
        }
        drivers.keySet().forEach(Names::service);
        this.drivers = new LinkedHashMap<>(drivers);
        this.defaultService = Objects.requireNonNull(defaultService);
        if (!drivers.containsKey(defaultService)) {
            throw new IllegalArgumentException("default service " + defaultService + " is not configured");
        }
    }

    public String defaultService() {
        return defaultService;
    }

    public List<String> names() {
        return List.copyOf(drivers.keySet());
    }

    public StorageDriver require(String service) {
        StorageDriver d = drivers.get(service);
        if (d == null) {
            throw new InvalidArgument("unknown service '" + service + "'",
                    "use one of: " + String.join(", ", drivers.keySet()) + " (see `berth service ls`)");
        }
        return d;
    }
}
