package dev.berth.app.config;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Size;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The effective configuration: every key with its value and source, plus the services. */
public record Config(Map<String, Setting> settings, List<ServiceConfig> services, Path file) {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m)");

    public Config {
        settings = Map.copyOf(settings);
        services = List.copyOf(services);
    }

    public String get(Key key) {
        return settings.get(key.name()).value();
    }

    public Path path(Key key) {
        return Path.of(get(key));
    }

    public boolean bool(Key key) {
        return Boolean.parseBoolean(get(key));
    }

    public long size(Key key) {
        return Size.parse(get(key));
    }

    public FsType fsType(Key key) {
        return FsType.parse(get(key));
    }

    public Duration duration(Key key) {
        return parseDuration(key.name(), get(key));
    }

    static Duration parseDuration(String key, String text) {
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            throw new InvalidArgument(key + " = '" + text + "' is not a duration", "write it like 500ms, 5s or 1m");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            default -> Duration.ofMinutes(n);
        };
    }
}
