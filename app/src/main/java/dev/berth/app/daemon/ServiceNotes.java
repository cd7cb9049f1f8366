package dev.berth.app.daemon;

import dev.berth.app.config.Config;
import dev.berth.app.config.ServiceConfig;
import dev.berth.core.service.ServiceRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * Start-up lines about the services: where each keeps its volumes (so a pool that is not the one
 * meant is seen at once), and a loud warning for a thin pool.
 */
final class ServiceNotes {
    private static final Logger LOG = Logger.getLogger(ServiceNotes.class.getName());

    private ServiceNotes() {
    }

    static List<String> lines(Config config, ServiceRegistry services) {
        List<String> out = new ArrayList<>();
        for (ServiceConfig s : config.services()) {
            StringBuilder line = new StringBuilder("service ").append(s.name()).append(": ").append(s.driver())
                    .append(" driver");
            new TreeMap<>(s.options()).forEach((k, v) -> line.append(", ").append(k).append(' ').append(v));
            if (s.source().equals("default")) {
                line.append(" (built in: the config has no services section)");
            }
            out.add(line.toString());
            OptionalDouble ratio = services.require(s.name()).overcommit();
            if (ratio.isPresent() && ratio.getAsDouble() > 1.0) {
                String r = String.format(Locale.ROOT, "%.2f", ratio.getAsDouble()).replaceAll("0$", "");
                String warning = "WARNING: service " + s.name() + " over-commits its pool (overcommit " + r
                        + "): its volumes' full sizes may add up to " + r + " times the space the pool has. If they"
                        + " fill up, the pool runs out of space and writes fail in every volume in it, which can"
                        + " damage their filesystems. Watch COMMITTED and FREE in `berth service ls`.";
                LOG.warning(warning);
                out.add(warning);
            }
        }
        return out;
    }
}
