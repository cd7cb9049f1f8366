package dev.berth.app.cli;

import dev.berth.app.config.Config;
import dev.berth.app.config.Keys;
import dev.berth.app.daemon.Wiring;
import dev.berth.protocols.rest.RestClient;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** How a CLI command finds the server: --socket > BERTH_SOCKET > config file > default. */
public final class ClientOptions {
    @Option(names = "--socket", paramLabel = "PATH", description = "Berth API socket (default: ${DEFAULT-VALUE} or config)")
    Path socket;

    @Option(names = "--config", paramLabel = "FILE", description = "Config file (default: /etc/berth/config.yml)")
    Path config;

    RestClient connect() {
        Map<String, String> flags = new HashMap<>();
        if (socket != null) {
            flags.put(Keys.SOCKET.name(), socket.toString());
        }
        Config c = Wiring.configLoader().load(config, System.getenv(), flags);
        return RestClient.unix(c.path(Keys.SOCKET));
    }
}
