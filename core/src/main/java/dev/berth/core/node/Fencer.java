package dev.berth.core.node;

import dev.berth.core.error.BerthException;
import dev.berth.core.model.Device;
import dev.berth.core.model.Grant;
import dev.berth.core.model.Volume;
import dev.berth.core.spi.StorageDriver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Takes one volume away from this host, in the only order that keeps data safe: stop every writer
 * (containers, then other processes), unmount (lazily if something still resists), detach, and
 * forget the grant. Runs without the volume's lock: it must never wait behind a slow operation on
 * the same volume (that one fails at its next write, whose grant no longer holds).
 */
final class Fencer {
    private static final Logger LOG = Logger.getLogger(Fencer.class.getName());
    private final FenceOps ops;
    private final Mounter mounter;
    private final NodePaths paths;
    private final GrantBook grants;

    /** Thaws a filesystem frozen for a copy (writers blocked on a frozen filesystem cannot be killed). */
    private final java.util.function.Consumer<Path> thaw;

    Fencer(FenceOps ops, Mounter mounter, NodePaths paths, GrantBook grants, java.util.function.Consumer<Path> thaw) {
        this.thaw = thaw;
        this.ops = ops;
        this.mounter = mounter;
        this.paths = paths;
        this.grants = grants;
    }

    /** Gives up {@code v} on this host; returns what was done, in words (for the log and the report). */
    String giveUp(Volume v, Grant g, String why) {
        List<String> done = new ArrayList<>();
        StorageDriver driver;
        try {
            driver = paths.driver(v);
        } catch (BerthException e) {
            grants.remove(v.id());
            return "forgot volume " + v.name() + " (" + e.getMessage() + ")";
        }
        Path target = driver.blockDevices() ? paths.mountPoint(v)
                : driver.node().attached(v.backendId()).map(d -> d.path()).orElse(null);
        if (target != null && driver.blockDevices()) {
            thaw.accept(target);
        }
        if (target != null) {
            List<String> stopped = ops.stopWriters(target, v.name());
            if (!stopped.isEmpty()) {
                done.add("stopped " + String.join(", ", stopped));
            }
        }
        if (driver.blockDevices()) {
            // Binds first (orchestrators' paths): the filesystem lives on while any of them does.
            Optional<Device> dev = driver.node().attached(v.backendId());
            // A raw block volume's users hold the device node itself, not a file on a filesystem.
            List<String> raw = dev.map(d -> ops.stopDeviceUsers(d.path())).orElse(List.of());
            if (!raw.isEmpty()) {
                done.add("stopped " + String.join(", ", raw));
            }
            for (Path bind : dev.map(d -> mounter.otherMounts(d.path(), target)).orElse(List.of())) {
                done.add(unmount(bind));
            }
        }
        if (driver.blockDevices() && mounter.isMounted(target)) {
            done.add(unmount(target));
        }
        try {
            driver.node().detach(v.backendId());
            done.add("detached it");
        } catch (BerthException e) {
            done.add("could not detach it: " + e.getMessage());
        }
        grants.remove(v.id());
        String what = "gave up volume " + v.name() + " (epoch " + g.epoch() + ") because " + why + ": "
                + (done.isEmpty() ? "nothing of it was on this host" : String.join("; ", done));
        LOG.warning(what);
        return what;
    }

    /** Unmounts {@code path}, lazily if something still resists; says which. */
    private String unmount(Path path) {
        try {
            mounter.unmount(null, path);
            return "unmounted " + path;
        } catch (BerthException busy) {
            ops.unmountLazy(path);
            return "unmounted " + path + " lazily (" + busy.getMessage() + ")";
        }
    }
}
