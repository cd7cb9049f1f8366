package dev.berth.app.controller;

import dev.berth.core.controller.ControllerService;
import dev.berth.core.model.FsType;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.VolumeDefaults;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StorageDriver;
import dev.berth.drivers.dir.DirDriver;
import dev.berth.host.LinuxHostOps;
import dev.berth.store.json.JsonCodec;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/** Controllers over one real embedded store, each with its own driver instance over one backend folder. */
final class Controllers {
    static final long MIB = 1L << 20;

    private Controllers() {
    }

    static ControllerService dir(StateStore store, Path dirs, Checkpoints checkpoints, Duration staleAfter) {
        return over(store, new DirDriver(dirs, new LinuxHostOps()), checkpoints, staleAfter);
    }

    static ControllerService over(StateStore store, StorageDriver driver, Checkpoints checkpoints, Duration staleAfter) {
        return new ControllerService(store, new JsonCodec(), new ServiceRegistry(Map.of("local", driver), "local"),
                new VolumeDefaults(64 * MIB, FsType.EXT4), Duration.ofSeconds(30), Clock.systemUTC(), checkpoints,
                staleAfter);
    }
}
