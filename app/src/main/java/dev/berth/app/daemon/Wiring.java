package dev.berth.app.daemon;

import dev.berth.app.config.Config;
import dev.berth.app.config.ConfigLoader;
import dev.berth.app.config.Keys;
import dev.berth.app.config.ServiceConfig;
import dev.berth.core.spi.DriverFactory;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StorageDriver;
import dev.berth.drivers.dir.DirDriverFactory;
import dev.berth.drivers.loop.LoopDriverFactory;
import dev.berth.host.LinuxHostOps;
import dev.berth.host.ProcessRunner;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The one place that knows every implementation: which drivers exist and how parts are built. */
public final class Wiring {
    public static final List<DriverFactory> DRIVERS = List.of(new LoopDriverFactory(), new DirDriverFactory());

    private Wiring() {
    }

    public static ConfigLoader configLoader() {
        Map<String, Set<String>> options = new TreeMap<>();
        DRIVERS.forEach(f -> options.put(f.kind(), f.options()));
        return new ConfigLoader(options);
    }

    public static HostOps hostOps() {
        return new LinuxHostOps(new ProcessRunner());
    }

    public static Map<String, StorageDriver> drivers(Config config, HostOps host) {
        Map<String, StorageDriver> out = new LinkedHashMap<>();
        for (ServiceConfig s : config.services()) {
            DriverFactory f = DRIVERS.stream().filter(d -> d.kind().equals(s.driver())).findFirst().orElseThrow();
            out.put(s.name(), f.create(s.name(), s.options(), host));
        }
        return out;
    }

    /** The node id: configured, else the host name (cut to a valid name). */
    public static String nodeId(Config config) {
        String configured = config.get(Keys.NODE);
        if (!configured.isEmpty()) {
            return configured;
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        String cleaned = host.replaceAll("[^A-Za-z0-9_.-]", "-").replaceAll("\\.\\.+", ".");
        cleaned = cleaned.replaceAll("^[^A-Za-z0-9]+", "");
        return cleaned.isEmpty() ? "localhost" : cleaned.substring(0, Math.min(cleaned.length(), 128));
    }
}
