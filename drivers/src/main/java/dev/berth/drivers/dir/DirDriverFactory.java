package dev.berth.drivers.dir;

import dev.berth.core.spi.DriverFactory;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StorageDriver;
import dev.berth.drivers.DriverOptions;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** Kind "dir"; option {@code root} (required): the folder holding one folder per volume. */
public final class DirDriverFactory implements DriverFactory {
    public static final String KIND = "dir";
    public static final String ROOT = "root";

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
    public Set<String> requiredOptions() {
        return Set.of(ROOT);
    }

    @Override
    public StorageDriver create(String service, Map<String, String> options, HostOps host) {
        Objects.requireNonNull(host, "the dir driver needs host operations (the mount table)");
        Map<String, String> checked = DriverOptions.check(KIND, service, options, options());
        return new DirDriver(DriverOptions.requiredPath(KIND, service, checked, ROOT, "/var/lib/berth/dirs"), host);
    }
}
