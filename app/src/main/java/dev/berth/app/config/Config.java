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
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");

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

    /** A whole number from 1 to 1,000,000 (a limit or a count). */
    public int count(Key key) {
        String v = get(key).strip();
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= 1_000_000) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidArgument(key.name() + " = '" + get(key) + "' is not a whole number from 1 to 1000000",
                "use e.g. " + key.defaultValue());
    }

    /** Comma-separated values, trimmed, empties dropped. */
    public List<String> list(Key key) {
        return list(get(key));
    }

    static List<String> list(String text) {
        return java.util.Arrays.stream(text.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    /** {@code host:port} as a socket address; the host may be empty or 0.0.0.0 (all addresses). */
    public static java.net.InetSocketAddress hostPort(String key, String text) {
        int colon = text.lastIndexOf(':');
        try {
            int port = Integer.parseInt(text.substring(colon + 1));
            if (colon < 0 || port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            String host = text.substring(0, colon);
            return java.net.InetSocketAddress.createUnresolved(host.isEmpty() ? "0.0.0.0" : host, port);
        } catch (RuntimeException e) {
            throw new InvalidArgument(key + " = '" + text + "' is not host:port", "write it like 0.0.0.0:7979 or 127.0.0.1:7979");
        }
    }

    /**
     * The controller's URL: https (or http when TLS is knowingly off), with a host, an optional port
     * in 1..65535, and nothing else (a user, path, query or fragment would be silently ignored).
     */
    /**
     * A comma-separated list of controller URLs (one is a list too), each checked as
     * {@link #controllerUri}; the client tries them in this order and sticks to the one that answers
     * (RestClient.tcp refuses one listed twice).
     */
    public static java.util.List<java.net.URI> controllerUris(String text) {
        java.util.List<java.net.URI> out = new java.util.ArrayList<>();
        for (String part : text.split(",", -1)) {
            if (part.isBlank()) {
                throw new InvalidArgument("controller URL list '" + text + "' has an empty entry",
                        "separate the URLs with single commas: https://c1:7979,https://c2:7979");
            }
            out.add(controllerUri(part.strip()));
        }
        return out;
    }

    public static java.net.URI controllerUri(String text) {
        String hint = "write it like https://controller.example:7979";
        java.net.URI u;
        try {
            u = new java.net.URI(text);
        } catch (java.net.URISyntaxException e) {
            throw new InvalidArgument("controller URL '" + text + "' is not valid: " + e.getReason(), hint);
        }
        if (!("https".equals(u.getScheme()) || "http".equals(u.getScheme()))) {
            throw new InvalidArgument("controller URL '" + text + "' is not valid: it must start with https://",
                    u.getScheme() == null ? "add the scheme: https://" + text : hint);
        }
        if (u.getHost() == null) {
            throw new InvalidArgument("controller URL '" + text + "' is not valid: "
                    + (u.getRawAuthority() == null ? "it names no host" : "'" + u.getRawAuthority()
                    + "' is not a host name or host:port (letters, digits, '-' and '.'; IPv6 in [ ])"), hint);
        }
        if (u.getPort() == 0 || u.getPort() > 65535) {
            throw new InvalidArgument("controller URL '" + text + "' is not valid: port " + u.getPort()
                    + " is not in 1..65535", hint + " (7979 is Berth's port)");
        }
        if (u.getRawUserInfo() != null || u.getRawQuery() != null || u.getRawFragment() != null
                || !(u.getRawPath() == null || u.getRawPath().isEmpty() || u.getRawPath().equals("/"))) {
            throw new InvalidArgument("controller URL '" + text + "' is not valid: only scheme, host and port are used",
                    "leave out the user, path, query and fragment: " + u.getScheme() + "://" + u.getRawAuthority()
                            .substring(u.getRawUserInfo() == null ? 0 : u.getRawUserInfo().length() + 1));
        }
        return u;
    }

    static Duration parseDuration(String key, String text) {
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            throw new InvalidArgument(key + " = '" + text + "' is not a duration", "write it like 500ms, 5s, 1m, 24h or 30d");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }
}
