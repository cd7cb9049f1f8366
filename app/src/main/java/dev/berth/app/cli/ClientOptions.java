package dev.berth.app.cli;

import dev.berth.app.config.Config;
import dev.berth.app.config.Keys;
import dev.berth.app.daemon.Wiring;
import dev.berth.protocols.rest.RestClient;
import dev.berth.protocols.rest.security.BearerToken;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * How a CLI command finds the server: --host (a remote controller over TLS with a token), else
 * --socket, else BERTH_HOST, else the local socket from BERTH_SOCKET, the config file or the default.
 */
public final class ClientOptions {
    @Option(names = "--host", paramLabel = "URL", description = "Remote Berth, e.g. https://controller:7979, or a comma-separated list "
            + "tried in order when one cannot be reached (env BERTH_HOST)")
    String host;

    @Option(names = "--token", paramLabel = "JWT", description = "Bearer token for --host (env BERTH_TOKEN)")
    String token;

    @Option(names = "--ca", paramLabel = "FILE", description = "CA/certificate PEM to trust for --host (env BERTH_CA)")
    Path ca;

    @Option(names = "--fingerprint", paramLabel = "SHA256",
            description = "Pinned certificate fingerprint for --host (env BERTH_FINGERPRINT); "
                    + "without --ca or this, the first certificate seen is trusted and recorded in ~/.berth/known_hosts")
    String fingerprint;

    @Option(names = "--known-hosts", paramLabel = "FILE",
            description = "Trust-on-first-use file for --host (env BERTH_KNOWN_HOSTS; default ~/.berth/known_hosts)")
    Path knownHosts;

    @Option(names = "--socket", paramLabel = "PATH", description = "Local Berth API socket (default: /run/berth/berth.sock or config)")
    Path socket;

    @Option(names = "--config", paramLabel = "FILE", description = "Config file (default: /etc/berth/config.yml)")
    Path config;

    RestClient connect() {
        Map<String, String> env = System.getenv();
        // Flags beat the environment: an explicit --socket wins over a BERTH_HOST left in the shell.
        String remote = host != null ? host : socket != null ? null : first(null, env.get("BERTH_HOST"));
        if (remote != null) {
            String bearer = first(token, env.get("BERTH_TOKEN"));
            if (bearer != null) {
                BearerToken.check(bearer, token != null && !token.isEmpty() ? "given with --token" : "in BERTH_TOKEN");
            }
            return Wiring.client(Config.controllerUris(remote), ca != null ? ca.toString() : orEmpty(env.get("BERTH_CA")),
                    orEmpty(first(fingerprint, env.get("BERTH_FINGERPRINT"))), knownHosts != null ? knownHosts.toString() : orEmpty(env.get("BERTH_KNOWN_HOSTS")),
                    orEmpty(bearer));
        }
        Map<String, String> flags = new HashMap<>();
        if (socket != null) {
            flags.put(Keys.SOCKET.name(), socket.toString());
        }
        Config c = Wiring.configLoader().load(config, env, flags);
        return RestClient.unix(c.path(Keys.SOCKET));
    }

    private static String first(String a, String b) {
        return a != null && !a.isEmpty() ? a : b != null && !b.isEmpty() ? b : null;
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
