package dev.berth.core.node;

import dev.berth.core.error.BerthException;
import dev.berth.core.error.Busy;
import dev.berth.core.model.Attachment;
import dev.berth.core.model.Claim;
import dev.berth.core.model.Device;
import dev.berth.core.model.Grant;
import dev.berth.core.model.PathRefs;
import dev.berth.core.model.Volume;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.MountLayout;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.spi.ControlPlane;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StorageDriver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Brings this host in line with the controller's records at start, after a crash or a restart:
 * volumes with mount references are re-adopted (claim re-bound to the live lease, attached and
 * mounted again if the host lost that); volumes left half-way (attached or mounted but with no
 * reference, e.g. killed between attach and the state write) are unmounted, detached and released
 * — unless their device is still in use elsewhere, which is reported and left alone; a volume
 * whose image was deleted from outside has its device released; mounts under the mount root that
 * belong to no volume are unmounted. A loop device of an image no record owns is reported and
 * never touched: Berth did not attach it (or no longer knows that it did). Every action is
 * reported, and a failure to clean one thing is reported too and never stops the start.
 */
public final class Reconciler {
    private static final Logger LOG = Logger.getLogger(Reconciler.class.getName());
    private final ControlPlane control;
    private final String me;
    private final Mounter mounter;
    private final ServiceRegistry services;
    private final MountLayout layout;
    private final HostOps host;
    private final NodePaths paths;
    private final Checkpoints checkpoints;

    private final GrantBook grants;

    Reconciler(ControlPlane control, String me, Mounter mounter, ServiceRegistry services, MountLayout layout,
               HostOps host, NodePaths paths, Checkpoints checkpoints, GrantBook grants) {
        this.grants = grants;
        this.control = control;
        this.me = me;
        this.mounter = mounter;
        this.services = services;
        this.layout = layout;
        this.host = host;
        this.paths = paths;
        this.checkpoints = checkpoints;
    }

    /** Runs once; returns one line per action taken (empty when everything was in order). */
    public List<String> run() {
        return begin().finish(v -> { });
    }

    /**
     * The first, quick part of the reconcile, before the node serves requests: reads the records and
     * the host once, sorts out the volumes that need no work (the usual case: nothing of them is on
     * this host and this node holds no claim on them), cleans up what belongs to no volume, and
     * returns the rest as pending for {@link Start#finish}. A volume that is not pending has nothing
     * on this host the reconcile would touch, so it can be served at once.
     */
    public Start begin() {
        Start start = new Start();
        ControlPlane.NodeState state = control.nodeState(me);
        Map<String, List<Volume>> byService = new HashMap<>();
        // Of every service: two services may share one pool, and an image one of them owns is no orphan.
        Set<String> backendsInState = new HashSet<>();
        for (Volume v : control.volumes()) {
            byService.computeIfAbsent(v.service(), k -> new ArrayList<>()).add(v);
            backendsInState.add(v.backendId());
        }
        // The mount table is read once here, not once per volume (10,000 volumes, 10,000 reads).
        Set<Path> mountedNow = new HashSet<>();
        host.mounts().forEach(m -> mountedNow.add(m.target()));
        Set<String> knownIds = new HashSet<>();
        Set<Path> pendingMountPoints = new HashSet<>();
        for (String service : services.names()) {
            StorageDriver driver = services.require(service);
            Set<String> attachedHere;
            try {
                attachedHere = driver.blockDevices() ? driver.node().attachedBackends() : Set.of();
            } catch (BerthException e) {
                start.report.add("service " + service + ": could not list its attached volumes: " + e.fullMessage());
                attachedHere = Set.of();
            }
            for (Volume v : byService.getOrDefault(service, List.of())) {
                knownIds.add(v.id());
                try {
                    paths.driver(v); // a record that does not fit this node's driver is reported, not used
                    Path mountPoint = driver.blockDevices() ? paths.mountPoint(v) : null;
                    boolean mounted = mountPoint != null && mountedNow.contains(mountPoint);
                    boolean attached = attachedHere.contains(v.backendId());
                    if (state.claims().get(v.id()) == null && state.refs().getOrDefault(v.id(), List.of()).isEmpty()
                            && state.attachments().get(v.id()) == null && !attached && !mounted) {
                        continue; // nothing of this volume is on this host and this node holds no claim on it
                    }
                    if (mounted) {
                        pendingMountPoints.add(mountPoint);
                    }
                    start.pending.add(new Work(v, driver, attached, mountPoint, mounted));
                } catch (BerthException e) {
                    start.report.add("volume " + v.name() + ": could not reconcile: " + e.fullMessage());
                } catch (RuntimeException bug) {
                    LOG.log(java.util.logging.Level.SEVERE, "reconcile of volume " + v.name() + " failed", bug);
                    start.report.add("volume " + v.name() + ": could not reconcile: " + bug);
                }
            }
            for (String orphan : attachedHere) {
                if (!backendsInState.contains(orphan)) {
                    start.report.add(orphan(service, driver, orphan));
                }
            }
        }
        start.state = state;
        for (String id : state.attachments().keySet()) {
            if (!knownIds.contains(id)) {
                try {
                    control.deleteAttachment(me, id);
                    start.report.add("dropped the attachment record of removed volume " + id);
                } catch (BerthException e) {
                    start.report.add("could not drop the attachment record of removed volume " + id + ": " + e.fullMessage());
                }
            }
        }
        // Mounts under the mount root at no pending volume's mount point belong to no volume (a
        // volume that is not pending is not mounted here). Those at a pending volume's mount point
        // are that volume's business: see Start#finish.
        for (HostOps.MountEntry m : host.mounts()) {
            if (m.target().startsWith(layout.root()) && !m.target().equals(layout.root())
                    && !pendingMountPoints.contains(m.target())) {
                unmountStray(m, start.report);
            }
        }
        return start;
    }

    private record Work(Volume volume, StorageDriver driver, boolean attached, Path mountPoint, boolean mounted) {
    }

    /** The volumes {@link #begin} found work for, and the report so far. */
    public final class Start {
        private final List<Work> pending = new ArrayList<>();
        private final List<String> report = new ArrayList<>();
        private ControlPlane.NodeState state;

        private Start() {
        }

        /** The volumes whose reconcile is still to come: requests for them must wait for {@link #finish}. */
        public List<Volume> pending() {
            return pending.stream().map(Work::volume).toList();
        }

        /**
         * Reconciles each pending volume, calling {@code reconciled} after each one (done, or failed
         * and reported); returns every line of the report and logs them.
         */
        public List<String> finish(Consumer<Volume> reconciled) {
            for (Work w : pending) {
                Volume v = w.volume();
                try {
                    checkpoints.reached("reconcile-volume");
                    Set<Path> expectedMounts = new HashSet<>();
                    try {
                        reconcile(v, w.driver(), state, w.attached(), w.mountPoint(), w.mounted(), report, expectedMounts);
                    } catch (BerthException e) {
                        report.add("volume " + v.name() + ": could not reconcile: " + e.fullMessage());
                    } catch (RuntimeException bug) {
                        // One volume must not keep the node from starting, even through a bug.
                        LOG.log(java.util.logging.Level.SEVERE, "reconcile of volume " + v.name() + " failed", bug);
                        report.add("volume " + v.name() + ": could not reconcile: " + bug);
                    }
                    if (w.mounted() && !expectedMounts.contains(w.mountPoint())) {
                        // Still mounted at its mount point without being re-adopted (e.g. held by
                        // another node now, or its clean-up failed): no volume uses that mount.
                        for (HostOps.MountEntry m : host.mounts()) {
                            if (m.target().equals(w.mountPoint())) {
                                unmountStray(m, report);
                            }
                        }
                    }
                } finally {
                    reconciled.accept(v);
                }
            }
            report.forEach(line -> LOG.info("reconcile: " + line));
            return List.copyOf(report);
        }
    }

    private void unmountStray(HostOps.MountEntry m, List<String> report) {
        try {
            host.unmount(m.target());
            report.add("unmounted " + m.target() + " (" + m.source() + "): no volume uses it");
        } catch (BerthException e) {
            report.add("could not unmount " + m.target() + " (" + m.source() + "), which no volume uses: "
                    + e.fullMessage());
        }
    }

    /**
     * An image no record owns is attached: the store lost its record (or never had one), or someone
     * attached it by hand. Either way Berth cannot know it attached that device, and detaching a busy
     * device would only set autoclear on it: report, never touch.
     */
    private static String orphan(String service, StorageDriver driver, String backendId) {
        String device;
        try {
            device = driver.node().attached(backendId).map(d -> d.path().toString()).orElse("a loop device");
        } catch (BerthException e) {
            device = "a loop device";
        }
        return "image " + backendId + " of service " + service + " is attached to " + device
                + ", but no volume record owns it: left as it is (Berth never detaches a device it did not attach; "
                + "`berth serve --adopt-pool` adopts the image, or detach it by hand when nothing uses it)";
    }

    private void reconcile(Volume v, StorageDriver driver, ControlPlane.NodeState state, boolean attached,
                           Path mountPoint, boolean mounted, List<String> report, Set<Path> expectedMounts) {
        List<String> refs = state.refs().getOrDefault(v.id(), List.of());
        // The attachment record only says whether there was one; every path here is derived.
        Attachment att = state.attachments().get(v.id());
        Grant ours = state.claims().get(v.id());
        Optional<Claim> claim = ours != null ? Optional.empty() : control.claimOf(v.id());
        boolean mine = ours != null || (claim.isPresent() && claim.get().node().equals(me));
        boolean elsewhere = !mine && claim.isPresent();
        boolean explicit = ours != null ? ours.explicit() : claim.map(Claim::explicit).orElse(false);
        if (attached && !driver.exists(v.backendId()) && (!elsewhere || !refs.isEmpty() || att != null)) {
            releaseDeletedImage(v, driver, mountPoint, mounted, ours, report);
            return;
        }
        if (!refs.isEmpty() && !elsewhere && refs.stream().allMatch(PathRefs::isBlock)) {
            // Used only as a raw device (an orchestrator's block volume): attached again, never
            // mounted (a mount would put a filesystem on a device that is someone's raw data).
            Grant g = control.claim(v.id(), me, explicit, false);
            grants.put(g, v);
            Device dev = driver.node().attach(v.backendId());
            control.putAttachment(g, new Attachment(v.id(), dev.path().toString(), dev.block(), null));
            report.add("re-adopted block volume " + v.name() + " (" + refs.size() + " reference"
                    + (refs.size() == 1 ? "" : "s") + ")");
            return;
        }
        if (!refs.isEmpty() && !elsewhere) {
            Grant g = control.claim(v.id(), me, explicit, false);
            grants.put(g, v);
            Device dev = driver.node().attach(v.backendId());
            Path mp = dev.block() ? mountPoint : dev.path();
            boolean wasMounted = !dev.block() || mounted;
            mounter.mount(v, dev, mp, driver.node());
            control.putAttachment(g, new Attachment(v.id(), dev.path().toString(), dev.block(), mp.toString()));
            if (dev.block()) {
                expectedMounts.add(mp);
            }
            report.add("re-adopted volume " + v.name() + " (" + refs.size() + " mount reference"
                    + (refs.size() == 1 ? "" : "s") + (wasMounted ? ")" : "; mounted it again)"));
            return;
        }
        if (elsewhere) {
            if (refs.isEmpty() && att == null) {
                // Held elsewhere and never ours: a device seen attached here belongs to the holder
                // (hosts that share one kernel, as in tests, see each other's loop devices).
                return;
            }
            // Another node took the volume while this one was away: never touch its data again.
            // An orchestrator's paths of it go first (the filesystem lives on while a bind does);
            // a path read from the store is unmounted only where this volume's device is mounted.
            Optional<Device> ownDevice = attached ? driver.node().attached(v.backendId()) : Optional.empty();
            for (String r : refs) {
                PathRefs.parse(r).ifPresent(p -> {
                    boolean ofThisVolume = ownDevice.isPresent()
                            && host.mountAt(p.path()).map(m -> Mounter.isOf(m, ownDevice.get().path())).orElse(false);
                    if (!ofThisVolume) {
                        return;
                    }
                    try {
                        host.unmount(p.path());
                    } catch (BerthException busy) {
                        host.unmountLazy(p.path());
                    }
                });
            }
            control.removeAllRefs(me, v.id());
            cleanUp(v, driver, mountPoint, mounted, attached && att != null);
            grants.remove(v.id());
            report.add("volume " + v.name() + " is now held by " + claim.get().node() + " (epoch "
                    + claim.get().epoch() + "): dropped this node's references and detached it here");
            return;
        }
        if (mine && explicit && att == null && !attached && !mounted) {
            // Claimed for this node but never attached here (an orchestrator published it and has
            // not staged it yet): nothing on the host to put right.
            return;
        }
        if (mine && explicit) {
            Grant g = control.claim(v.id(), me, true, false);
            grants.put(g, v);
            Device dev = driver.node().attach(v.backendId());
            if (mounted) {
                mounter.unmount(dev, mountPoint);
                report.add("unmounted volume " + v.name() + ": attached but no mount reference is left");
            }
            control.putAttachment(g, new Attachment(v.id(), dev.path().toString(), dev.block(), null));
            return;
        }
        if (mine || mounted || attached || att != null) {
            cleanUp(v, driver, mountPoint, mounted, attached);
            if (ours != null) {
                control.release(ours);
            }
            grants.remove(v.id());
            report.add("cleaned up volume " + v.name() + " left half-way ("
                    + (mounted ? "mounted" : attached ? "attached" : "claimed") + " with no mount reference)");
        }
    }

    /**
     * The image file was deleted from outside while its loop device held it: the device is the last
     * thing keeping the data, which no one can reach through Berth any more. Release it (unless it
     * is mounted somewhere else) so the space comes back and nothing leaks.
     */
    private void releaseDeletedImage(Volume v, StorageDriver driver, Path mountPoint, boolean mounted, Grant mine,
                                     List<String> report) {
        String device = driver.node().attached(v.backendId()).map(d -> d.path().toString()).orElse("?");
        control.removeAllRefs(me, v.id());
        cleanUp(v, driver, mountPoint, mounted, true);
        if (mine != null) {
            control.release(mine);
        }
        grants.remove(v.id());
        report.add("the image file of volume " + v.name() + " was deleted from outside; its loop device " + device
                + " is released; the data is gone (remove the volume with `berth volume rm " + v.name() + "`)");
    }

    private void cleanUp(Volume v, StorageDriver driver, Path mountPoint, boolean mounted, boolean attached) {
        if (mounted) {
            mounter.unmount(null, mountPoint);
        }
        if (attached) {
            Optional<Device> device = driver.node().attached(v.backendId());
            if (device.isPresent() && device.get().block()) {
                // Berth's own mount is gone now; any other one (a container's, another namespace's, a
                // user's) means someone still uses the device, and detaching would set autoclear on it.
                List<String> users = host.deviceUsers(device.get().path());
                if (!users.isEmpty()) {
                    throw new Busy("its loop device " + device.get().path() + " is still in use, so it is left attached: "
                            + String.join("; ", users), "unmount it there (or stop what uses it); the next start cleans it up");
                }
            }
            driver.node().detach(v.backendId());
        }
        control.deleteAttachment(me, v.id());
    }
}
