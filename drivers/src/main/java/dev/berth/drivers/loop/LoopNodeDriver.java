package dev.berth.drivers.loop;

import dev.berth.core.error.NotFound;
import dev.berth.core.model.Device;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.NodeDriver;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** Host side of the loop driver: one loop device per attached image file. */
public final class LoopNodeDriver implements NodeDriver {
    private final LoopPool pool;
    private final HostOps host;

    LoopNodeDriver(LoopPool pool, HostOps host) {
        this.pool = pool;
        this.host = host;
    }

    @Override
    public Device attach(String backendId) {
        Path file = pool.file(backendId);
        if (!LoopPool.isImage(file)) {
            throw new NotFound("the image file " + file + " of this volume does not exist",
                    "the volume's data is gone from the loop pool; remove the volume");
        }
        return new Device(host.loopAttach(file), true);
    }

    @Override
    public Optional<Device> attached(String backendId) {
        Path file = pool.file(backendId);
        if (!LoopPool.isImage(file)) {
            return Optional.empty();
        }
        return host.loopFind(file).map(device -> new Device(device, true));
    }

    @Override
    public void detach(String backendId) {
        attached(backendId).ifPresent(device -> host.loopDetach(device.path()));
    }

    /**
     * Image files of this pool held by a loop device. A device whose file was deleted meanwhile
     * shows as "x.img (deleted)" and is not reported: there is no backend left to name.
     */
    @Override
    public Set<String> attachedBackends() {
        Optional<Path> dir = pool.realDir();
        if (dir.isEmpty()) {
            return Set.of();
        }
        Set<String> ids = new TreeSet<>();
        for (HostOps.LoopDevice loop : host.loops()) {
            Path backing = loop.backingFile();
            if (dir.get().equals(backing.getParent()) && LoopPool.isBackendId(backing.getFileName().toString())) {
                ids.add(backing.getFileName().toString());
            }
        }
        return Set.copyOf(ids);
    }
}
