package dev.berth.app.config;

import java.util.Map;

/** A configured service: a name bound to a driver kind and that driver's options. */
public record ServiceConfig(String name, String driver, Map<String, String> options, String source) {
    public ServiceConfig {
        options = Map.copyOf(options);
    }
}
