package dev.berth.protocols.rest.security;

import dev.berth.core.error.InvalidArgument;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Token settings of the TCP API. When enabled, exactly one key is set: {@code hs256KeyFile} (a
 * shared secret; the file's bytes, at least 32) or {@code publicKeyFile} (PEM public key or
 * certificate; RSA means RS256, EC P-256 means ES256). {@code global} rules apply to every request,
 * {@code services} rules additionally to calls on that service (both must permit the subject).
 */
public record AuthConfig(boolean enabled, Path hs256KeyFile, Path publicKeyFile, SubjectRules global,
                         Map<String, SubjectRules> services) {
    public AuthConfig {
        global = global == null ? SubjectRules.ANY : global;
        services = services == null ? Map.of() : Map.copyOf(services);
        if (enabled && (hs256KeyFile == null) == (publicKeyFile == null)) {
            throw new InvalidArgument(hs256KeyFile == null
                    ? "token auth is on but no key is configured"
                    : "token auth has both an HS256 key file and a public key file",
                    "configure exactly one: an HS256 key file (shared secret) or a public key file (RS256/ES256)");
        }
    }

    public static AuthConfig disabled() {
        return new AuthConfig(false, null, null, SubjectRules.ANY, Map.of());
    }

    public static AuthConfig hs256(Path keyFile) {
        return new AuthConfig(true, keyFile, null, SubjectRules.ANY, Map.of());
    }

    public static AuthConfig publicKey(Path pemFile) {
        return new AuthConfig(true, null, pemFile, SubjectRules.ANY, Map.of());
    }

    public AuthConfig withGlobal(SubjectRules rules) {
        return new AuthConfig(enabled, hs256KeyFile, publicKeyFile, rules, services);
    }

    public AuthConfig withService(String service, SubjectRules rules) {
        Map<String, SubjectRules> m = new LinkedHashMap<>(services);
        m.put(service, rules);
        return new AuthConfig(enabled, hs256KeyFile, publicKeyFile, global, m);
    }

    /** The rules of {@code service}; ANY when it has none. */
    public SubjectRules service(String service) {
        return services.getOrDefault(service, SubjectRules.ANY);
    }
}
