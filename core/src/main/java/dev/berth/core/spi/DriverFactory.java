package dev.berth.core.spi;

import java.util.Map;
import java.util.Set;

/** Builds a driver for a configured service; one factory per driver kind. */
public interface DriverFactory {
    String kind();

    /** Option names this driver accepts (anything else is a configuration error). */
    Set<String> options();

    StorageDriver create(String service, Map<String, String> options, HostOps host);
}
