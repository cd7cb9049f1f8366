package dev.berth.core.node;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.model.Device;
import dev.berth.core.model.Volume;
import dev.berth.core.service.MountLayout;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StorageDriver;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a volume lives on this host, as this node derives it from its own configuration and its
 * own drivers. Volume records and attachment records come from the controller (over the network
 * for an agent) and are never trusted for a path: the mount point is {@link MountLayout#mountPoint}
 * for block drivers and the folder the node's own driver names otherwise; the device is the one
 * the node's driver finds (its pool, its loop devices). The stored attachment is a record for
 * inspect and list only.
 */
final class NodePaths {
    private final ServiceRegistry services;
    private final MountLayout layout;
    private final HostOps host;

    NodePaths(ServiceRegistry services, MountLayout layout, HostOps host) {
        this.services = services;
        this.layout = layout;
        this.host = host;
    }

    /**
     * The driver of {@code v}'s service, after checking that the record fits it: same driver kind,
     * and the backend id the driver derives from the volume id where it derives one. A record
     * that does not fit was altered (or the service changed drivers) and is not used on this host.
     */
    StorageDriver driver(Volume v) {
        StorageDriver d = services.require(v.service());
        if (!d.kind().equals(v.driver())) {
            throw new BackendFailure("volume " + v.name() + " is recorded with driver '" + v.driver()
                    + "', but service '" + v.service() + "' uses driver '" + d.kind() + "' on this node",
                    "give the service the same driver on the controller and every node");
        }
        Optional<String> expected = d.backendIdOf(v.id());
        if (expected.isPresent() && !expected.get().equals(v.backendId())) {
            throw new BackendFailure("volume " + v.name() + " (" + v.id() + ") is recorded with backend '"
                    + v.backendId() + "', but the " + d.kind() + " driver names it '" + expected.get()
                    + "': refusing to use another volume's data",
                    "the controller's record of this volume was altered; check its state store");
        }
        return d;
    }

    /** Where the volume is (to be) mounted on this host: block drivers only. */
    Path mountPoint(Volume v) {
        return layout.mountPoint(v);
    }

    /**
     * The volume's mount point (or, for a directory driver, its folder) when the host itself shows
     * it in place now: a mount at {@link #mountPoint} whose source is the device the driver
     * finds for this volume. One mount table read and one loop device lookup.
     */
    Optional<Path> mountedHere(Volume v, StorageDriver driver) {
        if (!driver.blockDevices()) {
            return driver.node().attached(v.backendId()).map(Device::path);
        }
        Path mp = mountPoint(v);
        Optional<HostOps.MountEntry> mount = host.mountAt(mp);
        if (mount.isEmpty()) {
            return Optional.empty();
        }
        Optional<Device> device = driver.node().attached(v.backendId());
        return device.isPresent() && mount.get().source().equals(device.get().path().toString())
                ? Optional.of(mp) : Optional.empty();
    }
}
