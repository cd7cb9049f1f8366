package dev.berth.app.config;

import java.util.Locale;

/**
 * One scalar configuration key: its dotted name in the YAML file, its environment variable and
 * its default. The env name is derived so the two never drift apart:
 * {@code volumes.defaultSize} → {@code BERTH_VOLUMES_DEFAULT_SIZE}.
 */
public record Key(String name, String defaultValue, String description) {
    public String env() {
        return "BERTH_" + name.replace(".", "_").replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }
}
