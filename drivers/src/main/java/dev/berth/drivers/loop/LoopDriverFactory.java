package dev.berth.drivers.loop;

import dev.berth.core.spi.DriverFactory;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StorageDriver;
import dev.berth.drivers.DriverOptions;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Kind "loop". Option {@code pool} (required): the folder of image files. Option
 * {@code overcommit} (default 1.0): how far the volumes' full sizes may exceed the space the pool
 * can give them; above 1 the pool is thin and can fill up under its volumes.
 */
public final class LoopDriverFactory implements DriverFactory {
    public static final String KIND = "loop";
    public static final String POOL = "pool";
    public static final String OVERCOMMIT = "overcommit";
    public static final double MAX_OVERCOMMIT = 100;

    public LoopDriverFactory() {
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Set<String> options() {
        return Set.of(POOL, OVERCOMMIT);
    }

    @Override
    public Set<String> requiredOptions() {
        return Set.of(POOL);
    }

    @Override
    public StorageDriver create(String service, Map<String, String> options, HostOps host) {
        Objects.requireNonNull(host, "the loop driver needs host operations (losetup)");
        Map<String, String> checked = DriverOptions.check(KIND, service, options, options());
        return new LoopDriver(DriverOptions.requiredPath(KIND, service, checked, POOL, "/var/lib/berth/pool"),
                DriverOptions.ratio(KIND, service, checked, OVERCOMMIT, 1.0, 0.1, MAX_OVERCOMMIT), host);
    }
}
