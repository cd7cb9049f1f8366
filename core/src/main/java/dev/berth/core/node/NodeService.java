package dev.berth.core.node;

import dev.berth.core.error.AttachedElsewhere;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.Busy;
import dev.berth.core.error.Fenced;
import dev.berth.core.error.GuardRefused;
import dev.berth.core.ha.Monotonic;
import dev.berth.core.model.Grant;
import java.time.Duration;
import java.util.Map;
import dev.berth.core.io.RealDirs;
import dev.berth.core.model.Attachment;
import dev.berth.core.model.Claim;
import dev.berth.core.model.Device;
import dev.berth.core.model.MountRefs;
import dev.berth.core.model.Volume;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.MountLayout;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.spi.ControlPlane;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StorageDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The host-local half of the volume life cycle on one node: attach (after the controller grants
 * the claim), format on first use, mount, unmount, detach. Every operation on one volume runs
 * under that volume's lock; the controller's claims keep other nodes out.
 */
public final class NodeService {
    private static final Logger LOG = Logger.getLogger(NodeService.class.getName());
    private final ControlPlane control;
    private final String node;
    private final ServiceRegistry services;
    private final HostOps host;
    private final MountLayout layout;
    private final Checkpoints checkpoints;
    private final Mounter mounter;
    private final NodePaths paths;
    private final VolumeLocks locks = new VolumeLocks();
    private final GrantBook grants;
    private final Fencer fencer;
    /** Freezes for consistent copies; fencing thaws through it. */
    private final Freezer freezer;
    private final Duration takeoverWait;
    private final Monotonic clock;
    /** What this node gave up and has not told the controller yet (it could not be reached). */
    private final java.util.concurrent.ConcurrentLinkedQueue<Report> unreported = new java.util.concurrent.ConcurrentLinkedQueue<>();

    private record Report(Grant grant, String what) {
    }

    public NodeService(ControlPlane control, String node, ServiceRegistry services, HostOps host, MountLayout layout,
                       Checkpoints checkpoints) {
        this(control, node, services, host, layout, checkpoints, GrantBook.inMemory(), FenceOps.NONE, Duration.ZERO,
                Monotonic.SYSTEM);
    }

    /**
     * @param grants       this node's grants (a local file in a daemon)
     * @param fenceOps     how writers are stopped and mounts forced off when the node gives a volume up
     * @param takeoverWait how long a mount or attach waits for a volume whose holder seems dead to be
     *                     taken over (and for the old holder's kernel to let go), before it fails
     */
    public NodeService(ControlPlane control, String node, ServiceRegistry services, HostOps host, MountLayout layout,
                       Checkpoints checkpoints, GrantBook grants, FenceOps fenceOps, Duration takeoverWait,
                       Monotonic clock) {
        this.grants = grants;
        this.takeoverWait = takeoverWait;
        this.clock = clock;
        this.control = control;
        this.node = node;
        this.services = services;
        this.host = host;
        this.layout = layout;
        this.checkpoints = checkpoints;
        this.mounter = new Mounter(host);
        this.paths = new NodePaths(services, layout, host);
        this.freezer = new Freezer(host, FREEZE_DEADLINE);
        this.fencer = new Fencer(fenceOps, mounter, paths, grants, freezer::thawNow);
    }

    public String node() {
        return node;
    }

    /** The reconciler for this node, to run once at start before serving. */
    public Reconciler reconciler() {
        return new Reconciler(control, node, mounter, services, layout, host, paths, checkpoints, grants);
    }

    /** Claims the volume for this node (kept until detach) and attaches it. */
    public void attach(VolumeRef ref) {
        attach(ref, false);
    }

    /** As {@link #attach(VolumeRef)}; {@code preempt} takes the volume from a live holder. */
    public void attach(VolumeRef ref, boolean preempt) {
        Volume v = control.resolve(ref);
        locks.with(v.id(), () -> {
            StorageDriver driver = paths.driver(v);
            Grant grant = claim(v, true, preempt);
            Device dev = driver.node().attach(v.backendId());
            String mp = paths.mountedHere(v, driver).map(Path::toString).orElse(null);
            write(v, grant, () -> control.putAttachment(grant, new Attachment(v.id(), dev.path().toString(), dev.block(), mp)));
            return null;
        });
    }

    /**
     * Takes the claim and keeps its grant. A holder whose lease is running out without being
     * renewed (it seems dead) is waited for, up to the takeover wait: the controller takes the
     * volume over once that lease has ended and the grace passed. A holder that renews its lease
     * meanwhile is alive, and the refusal comes at once.
     */
    private Grant claim(Volume v, boolean explicit, boolean preempt) {
        long deadline = clock.nanos() + takeoverWait.toNanos();
        Duration lastLeft = null;
        long lastSeen = 0;
        while (true) {
            try {
                boolean held = grants.of(v.id()).isPresent();
                Grant g = control.claim(v.id(), node, explicit, preempt);
                try {
                    grants.put(g, v);
                } catch (BerthException e) {
                    // A new claim this node could not write down must not stay: after a crash it would
                    // not know that it held it. (One it held before stays: it is in use here.)
                    try {
                        if (!held) {
                            control.release(g);
                        }
                    } catch (BerthException again) {
                        e.addSuppressed(again);
                    }
                    throw e;
                }
                return g;
            } catch (AttachedElsewhere e) {
                Duration left = e.leaseLeft();
                long now = clock.nanos();
                boolean renewed = lastLeft != null && left != null && renewedSince(lastLeft, left, Duration.ofNanos(now - lastSeen));
                lastSeen = now;
                if (left == null || renewed || clock.nanos() - deadline > 0) {
                    throw e;
                }
                if (lastLeft == null) {
                    LOG.info("volume " + v.name() + " is held by node " + e.holder() + ", whose lease has "
                            + left.toMillis() + " ms left; waiting up to " + takeoverWait.toSeconds()
                            + " s for it to be renewed or taken over");
                }
                lastLeft = left;
                sleep(Duration.ofMillis(Math.max(50, Math.min(500, left.toMillis() + 50))));
            }
        }
    }

    /**
     * Whether a lease that had {@code before} left, {@code elapsed} ago, and has {@code now} left was
     * renewed meanwhile: without a renewal it has lost the elapsed time. A store that reports whole
     * seconds (etcd rounds down) is given a second of slack, one with milliseconds a quarter second;
     * a renewal smaller than that (a TTL of a few seconds, polled twice a period) still shows at the
     * next poll.
     */
    static boolean renewedSince(Duration before, Duration now, Duration elapsed) {
        boolean wholeSeconds = before.toMillis() % 1000 == 0 && now.toMillis() % 1000 == 0;
        long slack = wholeSeconds ? 1000 : 250;
        return now.toMillis() + elapsed.toMillis() > before.toMillis() + slack;
    }

    /**
     * Mounts, waiting out the filesystem's guard after a takeover: ext4 multi-mount protection
     * refuses while the old holder's kernel still has the filesystem (its agent is down, so
     * nothing fenced it). That clears once the old host's agent comes back and gives the volume up
     * (it sees the higher epoch), or the old host dies; until the wait ends this tries again.
     */
    private String mountGuarded(Volume v, StorageDriver driver, Device dev, Path mountPoint, Grant grant, long deadline) {
        while (true) {
            try {
                return mounter.mount(v, dev, mountPoint, driver.node());
            } catch (GuardRefused g) {
                String who = grant.previous() == null ? "another host" : "node " + grant.previous();
                if (clock.nanos() - deadline > 0) {
                    throw new GuardRefused("volume " + v.name() + " is still mounted by " + who
                            + "'s kernel; its agent is down, so nothing on that host could give it up ("
                            + g.getMessage() + ")", "this completes as soon as " + who
                            + "'s agent is back (it gives the volume up when it sees the new epoch) or that host is "
                            + "gone; retry then", g);
                }
                LOG.warning("volume " + v.name() + " is still mounted by " + who + "'s kernel (" + g.getMessage()
                        + "); trying again until the takeover wait ends");
                sleep(Duration.ofSeconds(1));
            }
        }
    }

    private void sleep(Duration d) {
        try {
            clock.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Busy("interrupted while waiting for a volume", "try again");
        }
    }

    /** A write about a volume under its grant: a Fenced answer means this node lost it, so the grant goes. */
    private void write(Volume v, Grant g, Runnable w) {
        try {
            w.run();
        } catch (Fenced f) {
            grants.remove(v.id());
            throw f;
        }
    }

    /** The grant this node holds for {@code v}: its own book first, else the controller's view of its claims. */
    private Optional<Grant> grantOf(Volume v) {
        Optional<Grant> g = grants.of(v.id());
        return g.isPresent() ? g : Optional.ofNullable(control.nodeState(node).claims().get(v.id()));
    }

    /** Unmounts, detaches and releases; refused while mount references exist unless {@code force}. */
    public void detach(VolumeRef ref, boolean force) {
        Volume v = control.resolve(ref);
        locks.with(v.id(), () -> {
            requireNotElsewhere(v);
            List<String> refs = control.refs(node, v.id());
            if (!force && !refs.isEmpty()) {
                throw new Busy("volume " + v.name() + " is mounted (" + count(refs) + ")",
                        "unmount it first, or detach with --force");
            }
            release(v);
            return null;
        });
    }

    /** How long a filesystem may stay frozen for one copy; a copy that takes longer is discarded. */
    public static final Duration FREEZE_DEADLINE = Duration.ofSeconds(10);

    /**
     * Runs a copy of the volume ({@code copy}: a snapshot or a clone made by the controller) so
     * that it is consistent: if this node has the volume's filesystem mounted, it is frozen around
     * the copy and {@code copy} gets this node's id (to tell the controller it froze it); otherwise
     * {@code copy} gets null and the controller decides (it refuses a volume another node has
     * mounted). The freeze never outlives {@link #FREEZE_DEADLINE}: at the deadline the filesystem
     * is thawed whatever the copy is doing, and a copy that finishes after that is not consistent,
     * so it is {@code discard}ed and refused.
     */
    public <T> T stillWhileCopied(VolumeRef ref, java.util.function.Function<String, T> copy,
                                  java.util.function.Consumer<T> discard) {
        Volume v = control.resolve(ref);
        return locks.with(v.id(), () -> {
            Optional<Claim> claim = control.claimOf(v.id());
            StorageDriver driver = paths.driver(v);
            if (claim.isEmpty() || !claim.get().node().equals(node) || !driver.blockDevices()) {
                return copy.apply(null);
            }
            Optional<Path> mountPoint = paths.mountedHere(v, driver);
            if (mountPoint.isEmpty()) {
                return copy.apply(null);
            }
            return freezer.whileFrozen(mountPoint.get(), v.name(), () -> copy.apply(node), discard);
        });
    }


    /**
     * After the controller grew the volume: if this node has it attached, the device is refreshed
     * to the new size and a mounted filesystem grown online. Returns what it did, or empty when the
     * volume is not attached here.
     */
    public Optional<String> growHere(VolumeRef ref) {
        Volume v = control.resolve(ref);
        return locks.with(v.id(), () -> {
            StorageDriver driver = paths.driver(v);
            Optional<Device> dev = driver.node().attached(v.backendId());
            if (dev.isEmpty() || !driver.blockDevices()) {
                return Optional.empty();
            }
            java.util.OptionalLong size = driver.node().refreshCapacity(v.backendId());
            Optional<Path> mountPoint = paths.mountedHere(v, driver);
            if (mountPoint.isEmpty()) {
                return Optional.of("device " + dev.get().path() + " now has " + size.orElse(-1) + " bytes");
            }
            String fs = v.filesystem() != null ? v.filesystem() : v.fsType().name().toLowerCase(java.util.Locale.ROOT);
            long grown;
            try {
                grown = host.growFilesystem(dev.get().path(), mountPoint.get(), fs);
            } catch (dev.berth.core.error.NotSupported e) {
                throw new dev.berth.core.error.NotSupported("volume " + v.name() + " is grown to " + v.sizeBytes()
                        + " bytes and so is its device " + dev.get().path() + ", but its " + fs + " filesystem could not"
                        + " grow while mounted: " + e.getMessage(), "it grows at its next mount (stop its users, or"
                        + " unmount and mount it); " + e.hint());
            }
            LOG.info("grew the " + fs + " filesystem of volume " + v.name() + " on " + dev.get().path() + " to "
                    + grown + " bytes, online");
            return Optional.of("filesystem grown to " + grown + " bytes");
        });
    }

    /**
     * For a forced remove: if this node holds the volume, drops its references and unmounts,
     * detaches and releases it here. A volume held by another node is refused.
     */
    public void releaseForRemove(VolumeRef ref) {
        Volume v = control.resolve(ref);
        locks.with(v.id(), () -> {
            requireNotElsewhere(v);
            release(v);
            return null;
        });
    }

    /**
     * Adds mount reference {@code mountRef}; the first one claims, attaches, formats on first use
     * and mounts. Returns the path a container should use.
     */
    public String mount(VolumeRef ref, String mountRef) {
        return mount(ref, mountRef, false);
    }

    /** As {@link #mount(VolumeRef, String)}; {@code preempt} takes the volume from a live holder. */
    public String mount(VolumeRef ref, String mountRef, boolean preempt) {
        MountRefs.check(mountRef);
        Volume v = control.resolve(ref);
        return locks.with(v.id(), () -> mountLocked(v, mountRef, false, preempt));
    }

    /**
     * The mount under the volume's lock: claim ({@code explicit}: kept after the last reference, as
     * an orchestrator's publish is), attach, format on first use, mount, record {@code mountRef}.
     */
    String mountLocked(Volume v, String mountRef, boolean explicit, boolean preempt) {
        long deadline = clock.nanos() + takeoverWait.toNanos();
        refuseIfUsedRaw(v);
        StorageDriver driver = paths.driver(v);
        Grant claim = claim(v, explicit, preempt);
        Optional<Attachment> known = control.attachment(node, v.id());
        if (known.isPresent() && known.get().mountPoint() != null) {
            // The record says mounted here for another user; the host must agree (the record
            // names no path: the node derives it). Then no host tool needs to run.
            Optional<Path> here = paths.mountedHere(v, driver);
            if (here.isPresent()) {
                write(v, claim, () -> control.addRef(claim, mountRef));
                return MountLayout.containerPath(here.get()).toString();
            }
        }
        Device dev = driver.node().attach(v.backendId());
        checkpoints.reached("after-attach");
        Path mountPoint = dev.block() ? paths.mountPoint(v) : dev.path();
        String fs;
        try {
            fs = mountGuarded(v, driver, dev, mountPoint, claim, deadline);
        } catch (BerthException e) {
            if (!claim.explicit() && control.refs(node, v.id()).isEmpty()) {
                driver.node().detach(v.backendId());
                control.release(claim);
                grants.remove(v.id());
            }
            throw e;
        }
        checkpoints.reached("after-mount");
        try {
            write(v, claim, () -> control.recordMount(claim,
                    new Attachment(v.id(), dev.path().toString(), dev.block(), mountPoint.toString()), mountRef, fs));
        } catch (BerthException e) {
            undoMount(v, driver, dev, mountPoint, claim, e);
            throw e;
        }
        return MountLayout.containerPath(mountPoint).toString();
    }

    /**
     * Claims (explicitly) and attaches under the volume's lock, and records {@code ref}: a block
     * volume handed to an orchestrator as a device. Returns the device.
     */
    Device attachLocked(Volume v, String ref) {
        StorageDriver driver = paths.driver(v);
        Grant grant = claim(v, true, false);
        Device dev = driver.node().attach(v.backendId());
        String mp = paths.mountedHere(v, driver).map(Path::toString).orElse(null);
        write(v, grant, () -> control.putAttachment(grant, new Attachment(v.id(), dev.path().toString(), dev.block(), mp)));
        write(v, grant, () -> control.addRef(grant, ref));
        return dev;
    }

    /**
     * A volume an orchestrator uses as a raw block device here is never mounted as a filesystem
     * at the same time (a blank one would even be formatted under its user).
     */
    void refuseIfUsedRaw(Volume v) {
        List<String> refs = control.refs(node, v.id());
        if (refs.stream().anyMatch(dev.berth.core.model.PathRefs::isBlock)) {
            throw new Busy("volume " + v.name() + " is in use as a raw block device on node " + node,
                    "unpublish and unstage the block volume first; a volume is either a block device or a filesystem at a time");
        }
    }

    /** Adds {@code ref} for a volume this node holds, under its grant. */
    void addRefLocked(Volume v, String ref) {
        Grant g = grantOf(v).orElseThrow(() -> new Fenced(v.name(), control.claimOf(v.id()).map(Claim::node).orElse(null),
                "node " + node + " holds no claim on volume " + v.name() + " any more"));
        write(v, g, () -> control.addRef(g, ref));
    }

    /**
     * Drops {@code ref} under the volume's lock; when it was the last reference here, the volume is
     * unmounted and detached and this node forgets its grant, but the claim stays (it belongs to
     * whoever took it explicitly, e.g. an orchestrator's controller, and goes with its release).
     */
    void dropRefLocked(Volume v, String ref) {
        if (control.removeRef(node, v.id(), ref) > 0) {
            return;
        }
        StorageDriver driver = paths.driver(v);
        Path mountPoint = paths.mountPoint(v);
        if (driver.blockDevices()) {
            mounter.unmount(null, mountPoint);
        }
        driver.node().detach(v.backendId());
        control.deleteAttachment(node, v.id());
        grants.remove(v.id());
        if (driver.blockDevices() && !mounter.isMounted(mountPoint)) {
            deleteEmptyDir(mountPoint);
        }
    }

    <T> T withLock(String volumeId, java.util.function.Supplier<T> work) {
        return locks.with(volumeId, work::get);
    }

    /** The volume of {@code id}; NotFound when there is none. */
    Volume volumeById(String id) {
        return control.volume(id).orElseThrow(() -> new dev.berth.core.error.NotFound("volume " + id + " does not exist",
                "list volumes with `berth volume ls`"));
    }

    ControlPlane control() {
        return control;
    }

    NodePaths nodePaths() {
        return paths;
    }

    HostOps host() {
        return host;
    }

    /** Drops mount reference {@code mountRef}; the last one unmounts, detaches and releases the claim. */
    public void unmount(VolumeRef ref, String mountRef) {
        MountRefs.check(mountRef);
        Volume v = control.resolve(ref);
        locks.with(v.id(), () -> {
            if (control.removeRef(node, v.id(), mountRef) > 0) {
                return null;
            }
            Optional<Claim> claim = control.claimOf(v.id());
            boolean mine = claim.isPresent() && claim.get().node().equals(node);
            Optional<Attachment> att = control.attachment(node, v.id());
            Optional<Grant> grant = mine ? grantOf(v) : Optional.empty();
            if (mine && claim.get().explicit() && grant.isPresent()) {
                if (att.isPresent()) {
                    StorageDriver driver = paths.driver(v);
                    if (att.get().mountPoint() != null && driver.blockDevices()) {
                        mounter.unmount(null, paths.mountPoint(v));
                    }
                    // Still attached (explicitly): the record is rewritten from what this node finds.
                    Optional<Device> dev = driver.node().attached(v.backendId());
                    if (dev.isPresent()) {
                        write(v, grant.get(), () -> control.putAttachment(grant.get(),
                                new Attachment(v.id(), dev.get().path().toString(), dev.get().block(), null)));
                    } else {
                        control.deleteAttachment(node, v.id());
                    }
                }
            } else if (mine || att.isPresent()) {
                release(v);
            }
            return null;
        });
    }

    /** The container path if the volume is mounted on this node. */
    public Optional<String> path(VolumeRef ref) {
        Volume v = control.resolve(ref);
        if (control.attachment(node, v.id()).map(Attachment::mountPoint).isEmpty()) {
            return Optional.empty();
        }
        return paths.mountedHere(v, paths.driver(v)).map(mp -> MountLayout.containerPath(mp).toString());
    }

    /**
     * Checks this node's grants with the controller, before anything else at start and again after
     * the node had to register anew: a volume whose grant no longer holds (taken over, preempted,
     * released) is given up here at once (writers stopped, unmounted, detached) and never touched
     * again; one that still holds is re-bound to the node's current lease. Returns one line per
     * volume given up.
     */
    public List<String> checkGrants() {
        List<GrantBook.Entry> held = grants.entries();
        if (held.isEmpty()) {
            return List.of();
        }
        Map<String, String> lost = control.lostGrants(node, held.stream().map(GrantBook.Entry::grant).toList());
        List<String> report = new java.util.ArrayList<>();
        for (GrantBook.Entry e : held) {
            Grant g = e.grant();
            Optional<Volume> v = control.volume(g.volumeId());
            if (v.isEmpty() || lost.containsKey(g.volumeId())) {
                report.add(giveUp(e.volume(), g, v.isEmpty() ? "the volume was removed" : lost.get(g.volumeId())));
            } else {
                try {
                    locks.with(g.volumeId(), () -> {
                        grants.put(control.claim(g.volumeId(), node, g.explicit(), false), v.get());
                        return null;
                    });
                } catch (dev.berth.core.error.Fenced | AttachedElsewhere lostNow) {
                    report.add(giveUp(e.volume(), g, lostNow.getMessage()));
                }
            }
        }
        return report;
    }

    /**
     * The lease can no longer be trusted (no renewal acknowledged for TTL - margin): gives up every
     * volume this node holds, before the controller may hand any of them on.
     */
    public List<String> selfFence(String why) {
        List<String> report = new java.util.ArrayList<>();
        for (GrantBook.Entry e : grants.entries()) {
            report.add(giveUp(e.volume(), e.grant(), why));
        }
        return report;
    }

    /** Checks the grants while the node is connected (a preemption or a takeover it missed). */
    public void checkLostGrants() {
        List<GrantBook.Entry> held = grants.entries();
        if (held.isEmpty()) {
            return;
        }
        Map<String, String> lost = control.lostGrants(node, held.stream().map(GrantBook.Entry::grant).toList());
        for (GrantBook.Entry e : held) {
            String why = lost.get(e.grant().volumeId());
            if (why != null) {
                giveUp(e.volume(), e.grant(), why);
            }
        }
    }

    /** Tells the controller what this node gave up while it could not be reached; keeps what still fails. */
    public void reportGivenUp() {
        Report r;
        while ((r = unreported.peek()) != null) {
            control.gaveUp(r.grant(), r.what());
            unreported.poll();
        }
    }

    /** True while this node holds any grant. */
    public boolean holdsAny() {
        return !grants.isEmpty();
    }

    private String giveUp(Volume v, Grant g, String why) {
        String what = fencer.giveUp(v, g, why);
        unreported.add(new Report(g, what));
        return what;
    }

    private void requireNotElsewhere(Volume v) {
        Optional<Claim> claim = control.claimOf(v.id());
        if (claim.isPresent() && !claim.get().node().equals(node)) {
            throw new AttachedElsewhere(v.name(), claim.get().node(), null);
        }
    }

    /** Unmounts, detaches and releases the claim on this node, dropping its mount references. */
    private void release(Volume v) {
        StorageDriver driver = paths.driver(v);
        control.removeAllRefs(node, v.id());
        // Never the recorded mount point: only the one this node derives is ever unmounted.
        Path mountPoint = paths.mountPoint(v);
        if (driver.blockDevices()) {
            // An orchestrator's binds of it go too: the device cannot be detached while they hold it.
            driver.node().attached(v.backendId()).ifPresent(d -> mounter.otherMounts(d.path(), mountPoint)
                    .forEach(bind -> mounter.unmount(null, bind)));
            mounter.unmount(null, mountPoint);
        }
        driver.node().detach(v.backendId());
        grantOf(v).ifPresent(control::release);
        grants.remove(v.id());
        if (driver.blockDevices() && !mounter.isMounted(mountPoint)) {
            deleteEmptyDir(mountPoint);
        }
    }

    /**
     * The mount could not be recorded (the store refused the write): a mount nobody knows of must
     * not stay behind, so unless others use the volume here, unmount, and unless it was attached
     * explicitly, detach and release, as far as that goes; what fails is added to {@code cause}.
     */
    private void undoMount(Volume v, StorageDriver driver, Device dev, Path mountPoint, Grant claim, BerthException cause) {
        if (cause instanceof Fenced) {
            // The volume is someone else's now: this host's mount (and any other user of it here) goes.
            giveUp(v, claim, cause.getMessage());
            return;
        }
        try {
            if (!control.refs(node, v.id()).isEmpty()) {
                return;
            }
            if (dev.block()) {
                mounter.unmount(dev, mountPoint);
            }
            if (!claim.explicit()) {
                driver.node().detach(v.backendId());
                control.release(claim);
                grants.remove(v.id());
            }
            LOG.warning("mount of " + v.name() + " could not be recorded (" + cause.getMessage() + "); undid it");
        } catch (BerthException e) {
            cause.addSuppressed(e);
            LOG.warning("mount of " + v.name() + " could not be recorded (" + cause.getMessage()
                    + ") and could not be fully undone (" + e.getMessage() + "); the next start cleans it up");
        }
    }

    private static String count(List<String> refs) {
        return refs.size() + " mount reference" + (refs.size() == 1 ? "" : "s");
    }

    /**
     * Removes an unmounted mount point and its empty data folder. Only real folders are removed:
     * through a symlink planted at the mount point, "dir/data" would be a folder of the link's
     * target (and the link itself is not Berth's to delete).
     */
    private static void deleteEmptyDir(Path dir) {
        try {
            if (!RealDirs.isRealDir(dir)) {
                return;
            }
            Path data = dir.resolve(MountLayout.DATA);
            if (RealDirs.isRealDir(data)) {
                Files.deleteIfExists(data);
            }
            Files.deleteIfExists(dir);
        } catch (BerthException e) {
            LOG.warning("left " + dir + " in place: " + e.getMessage());
        } catch (IOException e) {
            LOG.fine("left " + dir + " in place: " + e.getMessage());
        }
    }
}
