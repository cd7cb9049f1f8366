package dev.berth.drivers.loop;

import dev.berth.core.spi.DriverFactory;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StorageDriver;
import dev.berth.drivers.DriverOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** Kind "loop"; option {@code pool}: the folder of image files (default /var/lib/berth/pool). */
public final class LoopDriverFactory implements DriverFactory {
    public static final String KIND = "loop";
    public static final String POOL = "pool";
    public static final Path DEFAULT_POOL = Path.of("/var/lib/berth/pool");

    public LoopDriverFactory() {
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Set<String> options() {
        return Set.of(POOL);
    }

    @Override
    public StorageDriver create(String service, Map<String, String> options, HostOps host) {
        Objects.requireNonNull(host, "the loop driver needs host operations (losetup)");
        Map<String, String> checked = DriverOptions.check(KIND, service, options, options());
        return new LoopDriver(DriverOptions.path(KIND, checked, POOL, DEFAULT_POOL), host);
    }
}
