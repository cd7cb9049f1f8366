package dev.berth.app.config;

import java.util.Map;

import java.util.List;

/**
 * A configured service: a name bound to a driver kind and that driver's options, and which token
 * subjects may use it over the TCP API (empty allow = everyone not denied).
 */
public record ServiceConfig(String name, String driver, Map<String, String> options, List<String> allow,
                            List<String> deny, String source) {
    public ServiceConfig {
        options = Map.copyOf(options);
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
    }
}
