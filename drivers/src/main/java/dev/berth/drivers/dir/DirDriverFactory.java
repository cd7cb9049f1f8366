package dev.berth.drivers.dir;

import dev.berth.core.spi.DriverFactory;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StorageDriver;
import dev.berth.drivers.DriverOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** Kind "dir"; option {@code root}: the folder holding one folder per volume (default /var/lib/berth/dirs). */
public final class DirDriverFactory implements DriverFactory {
    public static final String KIND = "dir";
    public static final String ROOT = "root";
    public static final Path DEFAULT_ROOT = Path.of("/var/lib/berth/dirs");

    public DirDriverFactory() {
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Set<String> options() {
        return Set.of(ROOT);
    }

    @Override
    public StorageDriver create(String service, Map<String, String> options, HostOps host) {
        Objects.requireNonNull(host, "the dir driver needs host operations (the mount table)");
        Map<String, String> checked = DriverOptions.check(KIND, service, options, options());
        return new DirDriver(DriverOptions.path(KIND, checked, ROOT, DEFAULT_ROOT), host);
    }
}
