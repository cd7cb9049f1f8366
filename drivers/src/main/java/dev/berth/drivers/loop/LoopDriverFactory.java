package dev.berth.drivers.loop;

import dev.berth.core.spi.DriverFactory;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.HostOps.Format;
import dev.berth.core.spi.StorageDriver;
import dev.berth.drivers.DriverOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Kind "loop". Option {@code pool} (required): the folder of image files. Option
 * {@code overcommit} (default 1.0): how far the volumes' full sizes may exceed the space the pool
 * can give them; above 1 the pool is thin and can fill up under its volumes. Options {@code mmp}
 * (default true) and {@code mmpInterval} (seconds, default 5): ext4 multi-mount protection of new
 * filesystems. Option {@code shared} (default false): the pool is reachable from several hosts, so
 * a filesystem without such a guard (xfs) is refused.
 */
public final class LoopDriverFactory implements DriverFactory {
    public static final String KIND = "loop";
    public static final String POOL = "pool";
    public static final String OVERCOMMIT = "overcommit";
    public static final String MMP = "mmp";
    public static final String MMP_INTERVAL = "mmpInterval";
    public static final String SHARED = "shared";
    public static final double MAX_OVERCOMMIT = 100;

    public LoopDriverFactory() {
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Set<String> options() {
        return Set.of(POOL, OVERCOMMIT, MMP, MMP_INTERVAL, SHARED);
    }

    @Override
    public Set<String> requiredOptions() {
        return Set.of(POOL);
    }

    @Override
    public StorageDriver create(String service, Map<String, String> options, HostOps host) {
        return create(service, options, host, null);
    }

    /** With the node's state folder, where its loop devices are recorded ({@code loop-devices.json}). */
    @Override
    public StorageDriver create(String service, Map<String, String> options, HostOps host, Path stateDir) {
        return create(service, options, host, stateDir, null);
    }

    /** With the node's mount root too: only devices mounted under it may be adopted without a record. */
    @Override
    public StorageDriver create(String service, Map<String, String> options, HostOps host, Path stateDir, Path mountRoot) {
        Objects.requireNonNull(host, "the loop driver needs host operations (losetup)");
        Map<String, String> checked = DriverOptions.check(KIND, service, options, options());
        Format format = new Format(DriverOptions.bool(KIND, service, checked, MMP, true),
                DriverOptions.integer(KIND, service, checked, MMP_INTERVAL, Format.DEFAULT_MMP_INTERVAL, 1,
                        Format.MAX_MMP_INTERVAL));
        LoopSettings settings = new LoopSettings(stateDir, format, DriverOptions.bool(KIND, service, checked, SHARED, false),
                mountRoot);
        return new LoopDriver(DriverOptions.requiredPath(KIND, service, checked, POOL, "/var/lib/berth/pool"),
                DriverOptions.ratio(KIND, service, checked, OVERCOMMIT, 1.0, 0.1, MAX_OVERCOMMIT), host, settings);
    }
}
