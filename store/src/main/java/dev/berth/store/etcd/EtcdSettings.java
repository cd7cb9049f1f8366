package dev.berth.store.etcd;

import dev.berth.core.error.InvalidArgument;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How to reach an etcd cluster: its members, TLS and user, the deadline of every call, and the key
 * prefix this Berth's keys live under (several Berth clusters may share one etcd).
 *
 * @param endpoints host:port of each member, in the order given
 * @param tls       {@code etcds://}: TLS to the members
 * @param ca        CA certificate (PEM) the members' certificates are checked against; null: the JVM's
 * @param cert      client certificate (PEM) for etcd's {@code --client-cert-auth}; null: none
 * @param key       the client certificate's private key (PEM, PKCS#8)
 * @param user      etcd user (with {@code password}); null: no etcd authentication
 * @param password  the user's password (read from a file, never from a flag)
 * @param timeout   deadline of every call to etcd
 * @param prefix    key prefix, e.g. {@code /berth/}: the store's keys are relative to it
 */
public record EtcdSettings(List<Endpoint> endpoints, boolean tls, Path ca, Path cert, Path key, String user,
                           String password, Duration timeout, String prefix) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    public static final String DEFAULT_PREFIX = "/berth/";
    static final int MAX_ENDPOINTS = 32;
    private static final Duration MIN_TIMEOUT = Duration.ofMillis(100);
    private static final Duration MAX_TIMEOUT = Duration.ofMinutes(5);
    private static final String URL_HINT = "write the store as etcd://host:port[,host:port…] (etcds:// for TLS), "
            + "e.g. etcd://10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379";
    /** A DNS name or an IPv4 address: letters, digits, '-', '.'; at most 253 characters. */
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?");
    private static final Pattern IPV6 = Pattern.compile("\\[[0-9A-Fa-f:.]{2,45}]");
    private static final Pattern PREFIX = Pattern.compile("/[A-Za-z0-9._/-]{0,254}/");

    /** One etcd member's client address. */
    public record Endpoint(String host, int port) {
        public Endpoint {
            Objects.requireNonNull(host, "host");
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port);
            }
        }

        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    public EtcdSettings {
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new InvalidArgument("the etcd store has no endpoints", URL_HINT);
        }
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.compareTo(MIN_TIMEOUT) < 0 || timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw new InvalidArgument("etcd timeout " + timeout.toMillis() + " ms is outside " + MIN_TIMEOUT.toMillis()
                    + " ms.." + MAX_TIMEOUT.toMinutes() + " min", "set store.etcd.timeout to e.g. 5s");
        }
        if (!tls && (ca != null || cert != null || key != null)) {
            throw new InvalidArgument("store.etcd.ca/cert/key are set, but the store URL is etcd:// (plain TCP)",
                    "use etcds://host:port,… for TLS, or remove the TLS keys");
        }
        if ((cert == null) != (key == null)) {
            throw new InvalidArgument("store.etcd.cert and store.etcd.key go together: one of them is missing",
                    "set both (client certificate and its private key) or neither");
        }
        if ((user == null) != (password == null)) {
            throw new InvalidArgument(user == null ? "an etcd password is set but no store.etcd.user"
                    : "store.etcd.user is set but no store.etcd.passwordFile",
                    "set both store.etcd.user and store.etcd.passwordFile, or neither");
        }
        if (user != null && (user.isEmpty() || user.length() > 128 || !user.chars().allMatch(c -> c > 32 && c < 127))) {
            throw new InvalidArgument("etcd user '" + user + "' is not 1-128 printable characters without spaces",
                    "use the name given to `etcdctl user add`");
        }
        Objects.requireNonNull(prefix, "prefix");
        if (!PREFIX.matcher(prefix).matches() || prefix.contains("//")) {
            throw new InvalidArgument("etcd key prefix '" + prefix + "' is not of the form /name/ (letters, digits, . _ - /)",
                    "set store.etcd.prefix to e.g. /berth/ or /berth/prod/");
        }
    }

    /** Plain settings: no TLS, no user, the default deadline and prefix. */
    public static EtcdSettings of(String url) {
        return new EtcdSettings(parseEndpoints(url), isTls(url), null, null, null, null, null, DEFAULT_TIMEOUT, DEFAULT_PREFIX);
    }

    public EtcdSettings withPrefix(String prefix) {
        return new EtcdSettings(endpoints, tls, ca, cert, key, user, password, timeout, prefix);
    }

    public EtcdSettings withTimeout(Duration timeout) {
        return new EtcdSettings(endpoints, tls, ca, cert, key, user, password, timeout, prefix);
    }

    public EtcdSettings withTls(Path ca, Path cert, Path key) {
        return new EtcdSettings(endpoints, tls, ca, cert, key, user, password, timeout, prefix);
    }

    public EtcdSettings withUser(String user, String password) {
        return new EtcdSettings(endpoints, tls, ca, cert, key, user, password, timeout, prefix);
    }

    /** Whether a store value names etcd (else it is "embedded" or a mistake). */
    public static boolean isEtcdUrl(String store) {
        return store.startsWith("etcd://") || store.startsWith("etcds://");
    }

    static boolean isTls(String url) {
        return url.startsWith("etcds://");
    }

    /**
     * The members of {@code etcd://h1:p1,h2:p2} or {@code etcds://…}: host (DNS name, IPv4, [IPv6])
     * and port each, nothing else (no user info, path, query, fragment or spaces).
     */
    public static List<Endpoint> parseEndpoints(String url) {
        if (url == null || url.isBlank()) {
            throw new InvalidArgument("the etcd store URL is empty", URL_HINT);
        }
        String rest;
        if (url.startsWith("etcd://")) {
            rest = url.substring("etcd://".length());
        } else if (url.startsWith("etcds://")) {
            rest = url.substring("etcds://".length());
        } else {
            throw new InvalidArgument("store '" + shown(url) + "' is neither 'embedded' nor an etcd:// or etcds:// URL", URL_HINT);
        }
        for (char c : rest.toCharArray()) {
            if (c == '@' || c == '/' || c == '?' || c == '#' || c == '%' || c == '\\' || c <= ' ' || c >= 127) {
                throw new InvalidArgument("store URL '" + shown(url) + "' contains '" + (c <= ' ' || c >= 127 ? "\\u%04x".formatted((int) c) : c)
                        + "': only host:port pairs separated by commas are allowed (no user, password, path or query)",
                        URL_HINT + "; put the etcd user in store.etcd.user and its password in store.etcd.passwordFile");
            }
        }
        String[] parts = rest.split(",", -1);
        if (parts.length > MAX_ENDPOINTS) {
            throw new InvalidArgument("store URL names " + parts.length + " etcd members, at most " + MAX_ENDPOINTS
                    + " are accepted", "list the members' client addresses (3 or 5 usually)");
        }
        List<Endpoint> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (String part : parts) {
            Endpoint e = endpoint(part, url);
            if (!seen.add(e.toString().toLowerCase(java.util.Locale.ROOT))) {
                throw new InvalidArgument("store URL '" + shown(url) + "' names " + e + " twice", "list each etcd member once");
            }
            out.add(e);
        }
        return out;
    }

    private static Endpoint endpoint(String part, String url) {
        if (part.isEmpty()) {
            throw new InvalidArgument("store URL '" + shown(url) + "' has an empty member between commas", URL_HINT);
        }
        int colon = part.lastIndexOf(':');
        if (colon <= 0 || colon == part.length() - 1) {
            throw new InvalidArgument("etcd member '" + part + "' has no port", URL_HINT + " (etcd's client port is usually 2379)");
        }
        String host = part.substring(0, colon);
        String port = part.substring(colon + 1);
        if (!(HOST.matcher(host).matches() || IPV6.matcher(host).matches())) {
            throw new InvalidArgument("etcd member '" + part + "' has no valid host name or address", URL_HINT);
        }
        if (!port.chars().allMatch(Character::isDigit) || port.length() > 5 || Integer.parseInt(port) < 1
                || Integer.parseInt(port) > 65535) {
            throw new InvalidArgument("etcd member '" + part + "' has port '" + port + "', not 1-65535", URL_HINT);
        }
        return new Endpoint(host, Integer.parseInt(port));
    }

    /** The endpoints as jetcd wants them: http(s)://host:port. */
    List<URI> uris() {
        String scheme = tls ? "https://" : "http://";
        return endpoints.stream().map(e -> URI.create(scheme + e)).toList();
    }

    /** The URL as the user wrote it (without secrets: there are none in it). */
    public String url() {
        return (tls ? "etcds://" : "etcd://") + String.join(",", endpoints.stream().map(Endpoint::toString).toList());
    }

    private static String shown(String url) {
        return url.length() > 200 ? url.substring(0, 200) + "…" : url;
    }

    @Override
    public String toString() {
        return "EtcdSettings[" + url() + ", prefix " + prefix + ", timeout " + timeout.toMillis() + " ms"
                + (user != null ? ", user " + user : "") + (cert != null ? ", client certificate " + cert : "") + "]";
    }
}
