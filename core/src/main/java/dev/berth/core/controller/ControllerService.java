package dev.berth.core.controller;

import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.AttachedElsewhere;
import dev.berth.core.error.Busy;
import dev.berth.core.model.Attachment;
import dev.berth.core.model.Claim;
import dev.berth.core.model.Event;
import dev.berth.core.model.Grant;
import dev.berth.core.ha.Monotonic;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Names;
import dev.berth.core.model.Node;
import dev.berth.core.model.Removal;
import dev.berth.core.model.Reservation;
import dev.berth.core.model.Size;
import dev.berth.core.model.Volume;
import dev.berth.core.model.VolumeSpec;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.KeyedLocks;
import dev.berth.core.service.NodeInfo;
import dev.berth.core.service.ReconcileReport;
import dev.berth.core.service.ServiceInfo;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.VolumeAdmin;
import dev.berth.core.service.VolumeDefaults;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.service.VolumeView;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.ControlPlane;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StorageDriver;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * The controller: owns the state store and the backends. It creates and removes volumes, and
 * decides which node may attach which volume (claims bound to node leases). Nodes reach it through
 * {@link ControlPlane}; users through {@link VolumeAdmin}.
 */
public final class ControllerService implements VolumeAdmin, ControlPlane, dev.berth.core.service.PublishControl {
    private static final Logger LOG = Logger.getLogger(ControllerService.class.getName());
    private final ServiceRegistry services;
    private final VolumeDefaults defaults;
    private final Clock clock;
    private final VolumeCatalog catalog;
    private final ClaimBook claims;
    private final EventLog events;
    private final NodeBook nodes;
    private final NodeDirectory directory;
    private final VolumeViews views;
    private final CapacityCheck capacity;
    private final BackendInventory inventory;
    private final SnapshotOps snapshots;
    private static final int MAX_RETRIES = 16;
    /** Only spares a controller's own concurrent creates of one name the store's retries; never the guard. */
    private final KeyedLocks createLocks = new KeyedLocks();
    private final Checkpoints checkpoints;
    private final Duration staleAfter;
    /** This controller instance, in reservations and removal marks (for messages only). */
    private final String self = "controller-" + ProcessHandle.current().pid() + "-"
            + UUID.randomUUID().toString().substring(0, 8);

    /** Default grace after a holder's lease ended before its claim is taken over (docs/ha.md). */
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(2);

    /** Default bound for a create in progress to count as cut off (see {@link #reconcile}). */
    public static final Duration DEFAULT_STALE_AFTER = Duration.ofMinutes(1);

    public ControllerService(StateStore store, Codec codec, ServiceRegistry services, VolumeDefaults defaults,
                             Duration leaseTtl, Clock clock) {
        this(store, codec, services, defaults, leaseTtl, clock, Checkpoints.NONE, DEFAULT_STALE_AFTER);
    }

    /**
     * @param checkpoints named steps of create and remove where the crash tests stop the daemon
     * @param staleAfter  how old a create in progress must be before {@link #reconcile} finishes it
     */
    public ControllerService(StateStore store, Codec codec, ServiceRegistry services, VolumeDefaults defaults,
                             Duration leaseTtl, Clock clock, Checkpoints checkpoints, Duration staleAfter) {
        this(store, codec, services, defaults, leaseTtl, clock, checkpoints, staleAfter, DEFAULT_GRACE, Monotonic.SYSTEM);
    }

    /**
     * @param grace     how long a claim's holder must have been seen dead (its lease gone) before
     *                  the claim is taken over; at least the store's leader-change extension
     *                  (docs/ha.md has the timing argument)
     * @param monotonic the clock the grace is measured on
     */
    public ControllerService(StateStore store, Codec codec, ServiceRegistry services, VolumeDefaults defaults,
                             Duration leaseTtl, Clock clock, Checkpoints checkpoints, Duration staleAfter,
                             Duration grace, Monotonic monotonic) {
        this.checkpoints = java.util.Objects.requireNonNull(checkpoints, "checkpoints");
        this.staleAfter = java.util.Objects.requireNonNull(staleAfter, "staleAfter");
        this.services = services;
        this.defaults = defaults;
        this.clock = clock;
        this.catalog = new VolumeCatalog(store, codec, services);
        this.events = new EventLog(store, codec, clock);
        this.claims = new ClaimBook(store, codec, clock, new GraceClock(monotonic, grace), events,
                (v, node) -> services.require(v.service()).fence(v.backendId(), node).orElse(
                        "the " + v.driver() + " backend cannot revoke a host's access; the old holder's self-fencing "
                                + "(before its lease ended) and the filesystem's own guard keep it out"),
                leaseTtl.plus(grace));
        this.nodes = new NodeBook(store, codec, clock);
        this.directory = new NodeDirectory(store, codec, clock, leaseTtl);
        this.views = new VolumeViews(store, codec, services, events);
        this.capacity = new CapacityCheck(store, services, catalog::ofService, service -> catalog.reservations().stream()
                .map(r -> r.value().spec()).filter(spec -> spec.service().equals(service)).toList());
        this.inventory = new BackendInventory(store, catalog, services, defaults, clock);
        this.snapshots = new SnapshotOps(new SnapshotBook(store, codec), catalog, claims, nodes, services, clock, self);
    }

    /**
     * At start, before any node registers (then, once, moves Docker mount references of an older
     * Berth into their namespace): refuses to start (with {@link dev.berth.core.error.Unavailable})
     * on a never-written store when backend volumes (loop images) exist, or, with {@code adopt},
     * rebuilds the records of those no record owns. Returns what it did, one line each; images no
     * record owns in a store written before are reported by {@link #unownedImages}.
     *
     * @param stateLocation where the state lives, for the messages (e.g. the state directory)
     */
    public List<String> checkBackends(boolean adopt, String stateLocation) {
        List<String> report = inventory.check(adopt, stateLocation);
        // Only after the inventory: this may write a marker, and the inventory must still see a
        // never-written store as the sign of lost state.
        int moved = nodes.namespaceLegacyDockerRefs();
        if (moved > 0) {
            LOG.info("moved " + moved + " Docker mount reference(s) of an older Berth to the docker: namespace");
        }
        return report;
    }

    /**
     * The images of the backends that no volume record owns, one line each (left in place). Not a
     * safety check (that is {@link #checkBackends}): the daemon runs it once it serves.
     */
    public List<String> unownedImages() {
        return inventory.report();
    }

    /**
     * Finishes what crashed creates and removes left behind, and reports backend objects nothing
     * owns. Idempotent, and safe on several controllers at once: every step is the same
     * compare-and-swap a retry of the call would make.
     *
     * <ul>
     * <li>A reservation older than the bound ({@code staleAfter}) is completed, not rolled back: its
     *     backend object is made (again: create is idempotent per id) and the record written. Rolling
     *     back would race a creator that is only slow (it could make the object after the roll-back
     *     removed it, leaving an orphan if it then died); completing converges with it on one id,
     *     and the user asked for that volume. A backend that refuses it drops the reservation.
     * <li>A removal mark older than the bound is finished: backend object, then records.
     * <li>Backend objects that no record or reservation owns are reported and left in place.
     * </ul>
     */
    public ReconcileReport reconcile() {
        List<String> creates = new java.util.ArrayList<>();
        List<String> removes = new java.util.ArrayList<>();
        List<String> failures = new java.util.ArrayList<>();
        java.time.Instant cutoff = clock.instant().minus(staleAfter);
        for (VolumeCatalog.Held<Reservation> held : catalog.reservations()) {
            Reservation r = held.value();
            String what = "create of volume " + r.spec().service() + "/" + r.spec().name() + " (id " + r.volumeId()
                    + ", reserved by " + r.by() + " at " + r.at() + ")";
            if (r.at().isAfter(cutoff)) {
                creates.add(what + " is in progress: left to its creator (a retry of it finishes it)");
                continue;
            }
            if (r.copyOf() != null) {
                // A copy's source may have changed since (a volume) and was frozen only for the
                // call that was cut off: rolled back, not completed. A creator that is only slow
                // loses its last transaction and removes what it made.
                try {
                    StorageDriver d = services.require(r.spec().service());
                    d.backendIdOf(r.volumeId()).ifPresent(d::remove);
                    creates.add(catalog.abandon(held) ? "rolled back the " + what + ", a copy that was cut off"
                            : "left the " + what + ": it was finished or dropped meanwhile");
                } catch (dev.berth.core.error.BerthException e) {
                    failures.add("could not roll back the " + what + ": " + e.fullMessage());
                }
                continue;
            }
            try {
                Optional<Volume> v = finishCreate(held, services.require(r.spec().service()));
                creates.add(v.isPresent() ? "completed the " + what + ", which was cut off" : "dropped the " + what
                        + ": it was dropped or recorded meanwhile");
            } catch (dev.berth.core.error.BerthException e) {
                failures.add("could not finish the " + what + ": " + e.fullMessage());
            }
        }
        for (VolumeCatalog.Held<Removal> held : catalog.removals()) {
            Removal r = held.value();
            String what = "remove of volume " + r.service() + "/" + r.name() + " (marked by " + r.by() + " at " + r.at() + ")";
            if (r.at().isAfter(cutoff)) {
                removes.add(what + " is in progress: left to its remover (a retry of it finishes it)");
                continue;
            }
            try {
                finishRemoval(held);
                removes.add("finished the " + what + ", which was cut off");
            } catch (dev.berth.core.error.BerthException e) {
                failures.add("could not finish the " + what + ": " + e.fullMessage());
            }
        }
        try {
            creates.addAll(snapshots.dropStale(cutoff));
        } catch (dev.berth.core.error.BerthException e) {
            failures.add("could not drop snapshots that were cut off: " + e.fullMessage());
        }
        List<String> unowned;
        try {
            unowned = inventory.report();
        } catch (dev.berth.core.error.BerthException e) {
            unowned = List.of();
            failures.add("could not list the backends' objects: " + e.fullMessage());
        }
        ReconcileReport report = new ReconcileReport(creates, removes, unowned, failures);
        report.lines().forEach(LOG::info);
        return report;
    }

    // ---- VolumeAdmin ---------------------------------------------------------------------

    /**
     * Creates a volume so that a crash at any step, on any controller, leaves nothing a retry does
     * not reuse: (1) one transaction reserves the name with the future volume id and the spec, if
     * neither the name nor a reservation of it exists ({@code creating/<service>/<name>}); (2) the
     * driver makes the backend object of that id (idempotent per id); (3) one transaction turns the
     * reservation into the record, if it is still the same one (its create revision). A create of
     * a name that is reserved with the same size and filesystem continues that reservation, from
     * any controller; with a different one it is refused, as for a volume that exists.
     */
    @Override
    public VolumeView create(CreateVolume req) {
        return create(req, dev.berth.core.spi.Progress.NONE);
    }

    /**
     * As {@link #create(CreateVolume)}; a request with a source makes the volume as a copy of a
     * snapshot or of another volume, in the source's service, with the source's size and
     * filesystem unless it asks for a larger size. A volume source a live node has mounted is
     * copied only when that node froze it (see {@link SnapshotOps#stillness}).
     */
    @Override
    public VolumeView create(CreateVolume req, dev.berth.core.spi.Progress progress) {
        if (req.source() == null) {
            return create(req, null, null, progress);
        }
        String name = Names.volume(req.name());
        Copy copy = copySource(req);
        String service = req.service() == null ? copy.service() : Names.service(req.service());
        if (!service.equals(copy.service())) {
            throw new dev.berth.core.error.InvalidArgument("a copy stays in its source's service (" + copy.service()
                    + "), not " + service, "leave the service out, or name " + copy.service());
        }
        long size = req.size() == null ? copy.of().sizeBytes() : Size.parse(req.size());
        if (size < copy.of().sizeBytes()) {
            throw new dev.berth.core.error.InvalidArgument("volume " + name + " cannot be smaller than its source "
                    + copy.what() + " (" + Size.format(copy.of().sizeBytes()) + "): a filesystem cannot be cut",
                    "ask for at least " + Size.format(copy.of().sizeBytes()) + ", or leave the size out");
        }
        FsType fs = req.fsType() == null ? copy.fsType() : FsType.parse(req.fsType());
        if (fs != copy.fsType()) {
            throw new dev.berth.core.error.InvalidArgument("volume " + name + " would be " + fs + " but its source "
                    + copy.what() + " holds " + copy.fsType(), "leave the filesystem out, or ask for " + copy.fsType());
        }
        VolumeView made = create(new CreateVolume(name, service, Size.format(size), fs.id(), req.labels()), copy.of(),
                copy.still(), progress);
        return made;
    }

    /** A resolved source of a copy: what to copy, and (for a volume) how still it is. */
    private record Copy(Reservation.CopyOf of, String service, FsType fsType, String what, SnapshotOps.Stillness still) {
    }

    private Copy copySource(CreateVolume req) {
        dev.berth.core.model.ContentSource src = req.source();
        if (src.kind() == dev.berth.core.model.ContentSource.Kind.SNAPSHOT) {
            dev.berth.core.model.Snapshot s = snapshots.resolve(dev.berth.core.service.SnapshotRef.parse(src.ref()));
            StorageDriver d = services.require(s.service());
            snapshots.method(asVolume(s), d);
            return new Copy(new Reservation.CopyOf(true, s.id(), s.backendId(), s.sizeBytes(), s.filesystem()), s.service(), s.fsType(),
                    "snapshot " + s.volumeName() + "@" + s.name(), null);
        }
        Volume v = catalog.resolve(VolumeRef.parse(src.ref()));
        StorageDriver d = services.require(v.service());
        String method = snapshots.method(v, d);
        if (catalog.removal(v.id()).isPresent()) {
            throw new Busy("volume " + v.name() + " is being removed, so it cannot be copied",
                    "copy another volume or one of its snapshots");
        }
        SnapshotOps.Stillness still = snapshots.stillness(v, d, method, req.frozenBy());
        return new Copy(new Reservation.CopyOf(false, v.id(), v.backendId(), v.sizeBytes(), v.filesystem()), v.service(), v.fsType(),
                "volume " + v.name(), still);
    }

    /** A stand-in volume for messages about a snapshot whose volume is gone. */
    private static Volume asVolume(dev.berth.core.model.Snapshot s) {
        return new Volume(s.volumeId(), s.volumeName(), s.service(), s.driver(), s.backendId(), s.sizeBytes(), s.fsType(),
                Map.of(), s.created(), null);
    }

    private VolumeView create(CreateVolume req, Reservation.CopyOf copyOf, SnapshotOps.Stillness still,
                              dev.berth.core.spi.Progress progress) {
        String name = Names.volume(req.name());
        String service = req.service() == null ? services.defaultService() : Names.service(req.service());
        StorageDriver driver = services.require(service);
        long size = req.size() == null ? defaults.sizeBytes() : Size.parse(req.size());
        FsType fs = req.fsType() == null ? defaults.fsType() : FsType.parse(req.fsType());
        fs.requireFits(size);
        VolumeSpec spec = new VolumeSpec(name, service, size, fs, req.labels());
        try (KeyedLocks.Held lock = createLocks.lock(service + "/" + name)) {
            for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
                Optional<Volume> existing = catalog.byName(service, name);
                if (existing.isPresent()) {
                    catalog.removal(existing.get().id()).ifPresent(r -> {
                        throw new Busy("volume " + name + " in service " + service + " is being removed",
                                "retry the create in a moment; `berth volume rm " + name + "` finishes the remove now");
                    });
                    return sameOrConflict(existing.get(), spec, copyOf);
                }
                Optional<VolumeCatalog.Held<Reservation>> reserved = catalog.reservation(service, name);
                if (reserved.isEmpty()) {
                    Reservation fresh = new Reservation(UUID.randomUUID().toString().replace("-", ""), spec, self,
                            clock.instant(), copyOf);
                    reserved = capacity.reserve(driver, spec, (compares, ops) -> catalog.reserve(fresh, compares, ops));
                    if (reserved.isEmpty()) {
                        continue; // the name was taken meanwhile: read again
                    }
                    checkpoints.reached("create-after-reserve");
                } else {
                    VolumeSpec held = reserved.get().value().spec();
                    if (held.sizeBytes() != spec.sizeBytes() || held.fsType() != spec.fsType()
                            || !sameOrigin(reserved.get().value().copyOf(), copyOf)) {
                        throw new AlreadyExists("volume " + name + " is being created in service " + service
                                + " with a different size or filesystem (" + Size.format(held.sizeBytes()) + ", "
                                + held.fsType() + ")", "repeat that create to finish it, or choose another name");
                    }
                }
                Optional<Volume> made = finishCreate(reserved.get(), driver, progress);
                if (made.isPresent()) {
                    if (still != null && !stillSame(copyOf, still)) {
                        // The source was claimed anew during the copy: a node may have written to
                        // it meanwhile, so the copy is not of one moment. Undone and refused.
                        remove(made.get());
                        throw new Busy("volume " + name + " was copied from a volume that was attached or claimed"
                                + " anew during the copy, so the copy was removed", "try again");
                    }
                    return views.of(made.get(), true);
                }
            }
        }
        throw new Busy("the name " + name + " in service " + service + " keeps changing under this create", "try again");
    }

    /**
     * Steps 2 and 3 of {@link #create} for a reservation: the record, or empty when the reservation
     * was dropped meanwhile (then the caller reads again). Whoever completes it first wins; every
     * other continuation finds the record of the same id.
     */
    private Optional<Volume> finishCreate(VolumeCatalog.Held<Reservation> held, StorageDriver driver) {
        return finishCreate(held, driver, dev.berth.core.spi.Progress.NONE);
    }

    private Optional<Volume> finishCreate(VolumeCatalog.Held<Reservation> held, StorageDriver driver,
                                          dev.berth.core.spi.Progress progress) {
        Reservation r = held.value();
        VolumeSpec spec = r.spec();
        String backendId;
        try {
            Reservation.CopyOf of = r.copyOf();
            backendId = of == null ? driver.create(r.volumeId(), spec) : driver.createFrom(r.volumeId(), spec,
                    new StorageDriver.Source(of.snapshot(), of.backendId(), of.sizeBytes()), progress);
        } catch (RuntimeException e) {
            // The backend refused (no space, an I/O error): the name is free again unless an object
            // of this id exists after all (then the reservation keeps owning it for a retry).
            try {
                if (!driver.backendIdOf(r.volumeId()).map(driver::exists).orElse(false)) {
                    catalog.abandon(held);
                }
            } catch (RuntimeException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
        checkpoints.reached("create-after-backend");
        Volume v = new Volume(r.volumeId(), spec.name(), spec.service(), driver.kind(), backendId, spec.sizeBytes(),
                spec.fsType(), spec.labels(), r.at(), r.copyOf() == null ? null : r.copyOf().filesystem(),
                r.copyOf() == null ? null : r.copyOf().origin());
        checkpoints.reached("create-before-record");
        if (catalog.complete(held, v)) {
            checkpoints.reached("create-after-record");
            LOG.info("created volume " + spec.service() + "/" + spec.name() + " (" + Size.format(spec.sizeBytes()) + ", "
                    + spec.fsType() + ")");
            return Optional.of(v);
        }
        Optional<Volume> recorded = catalog.byName(spec.service(), spec.name());
        if (recorded.isPresent() && recorded.get().id().equals(r.volumeId())) {
            return recorded; // another continuation (or the reconcile) completed it
        }
        // Dropped meanwhile (a backend failure seen by another continuation), or the name got a
        // record by another way (adoption): the object just made is this create's to undo.
        catalog.abandon(held);
        driver.remove(backendId);
        return Optional.empty();
    }

    private static boolean sameOrigin(Reservation.CopyOf a, Reservation.CopyOf b) {
        return a == null ? b == null : b != null && a.origin().equals(b.origin());
    }

    /** Whether the source volume's claim is still the one its stillness was decided on. */
    private boolean stillSame(Reservation.CopyOf of, SnapshotOps.Stillness still) {
        return claims.held(of.id()).map(h -> h.kv().modRevision()).orElse(0L) == still.claimRevision();
    }

    private VolumeView sameOrConflict(Volume existing, VolumeSpec spec, Reservation.CopyOf copyOf) {
        String had = existing.origin();
        String asked = copyOf == null ? null : copyOf.origin();
        if (!java.util.Objects.equals(had, asked)) {
            throw VolumeCatalog.conflict(existing, "content (" + (had == null ? "made empty" : "made from " + had) + ")");
        }
        return sameOrConflict(existing, spec);
    }

    private VolumeView sameOrConflict(Volume existing, VolumeSpec spec) {
        if (existing.sizeBytes() != spec.sizeBytes()) {
            throw VolumeCatalog.conflict(existing, "size (" + Size.format(existing.sizeBytes()) + ")");
        }
        if (existing.fsType() != spec.fsType()) {
            throw VolumeCatalog.conflict(existing, "filesystem (" + existing.fsType() + ")");
        }
        return views.of(existing, true);
    }

    /**
     * Removes a volume as a compare-and-swap against its claim: one transaction marks it as being
     * removed ({@code removing/<id>}) if it has no claim and its record is unchanged, and from then
     * on no claim can be taken on it; then the backend object goes (a missing one is fine), then
     * one transaction deletes the records and the mark. A claim taken at the same moment makes one
     * of the two lose cleanly: the remove with Busy, or the claim with NotFound. A retry, or the
     * reconcile, finishes a remove that was cut off after the mark.
     */
    @Override
    public void remove(VolumeRef ref) {
        remove(ref, dev.berth.core.service.SnapshotPolicy.REFUSE);
    }

    /**
     * Removes a volume; with its snapshots ({@code DELETE}), leaving them ({@code KEEP}: they stand
     * on their own), or refused while it has any ({@code REFUSE}). The volume goes first: a remove
     * refused because the volume is in use has touched no snapshot.
     */
    @Override
    public List<String> remove(VolumeRef ref, dev.berth.core.service.SnapshotPolicy policy) {
        Volume v = catalog.resolve(ref);
        return removeWith(v, policy);
    }

    private List<String> removeWith(Volume v, dev.berth.core.service.SnapshotPolicy policy) {
        List<dev.berth.core.model.Snapshot> own = snapshots.ofVolume(v.id());
        if (!own.isEmpty() && policy == dev.berth.core.service.SnapshotPolicy.REFUSE) {
            throw new Busy("volume " + v.name() + " has " + own.size() + " snapshot" + (own.size() == 1 ? "" : "s") + ": "
                    + own.stream().map(dev.berth.core.model.Snapshot::name).toList(),
                    "remove them first (berth snapshot rm " + v.name() + "@<name>), or remove the volume with --force"
                            + " (which removes them too) or --keep-snapshots (they stay and can still be restored)");
        }
        remove(v);
        if (policy != dev.berth.core.service.SnapshotPolicy.DELETE) {
            return List.of();
        }
        List<String> removed = new java.util.ArrayList<>();
        for (dev.berth.core.model.Snapshot s : own) {
            snapshots.remove(s);
            removed.add(v.name() + "@" + s.name());
        }
        return removed;
    }

    private void remove(Volume v) {
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            Optional<VolumeCatalog.Held<Volume>> held = catalog.heldById(v.id());
            if (held.isEmpty()) {
                return; // another remove finished it meanwhile
            }
            Optional<VolumeCatalog.Held<Removal>> mark = catalog.removal(v.id());
            if (mark.isEmpty()) {
                refuseIfInUse(v);
                mark = catalog.markRemoving(held.get(), new Removal(v.id(), v.service(), v.name(), v.backendId(), self,
                        clock.instant()));
                if (mark.isEmpty()) {
                    continue; // a claim was taken or the record changed: look again (Busy if it is in use now)
                }
                checkpoints.reached("remove-after-mark");
            }
            finishRemoval(mark.get());
            return;
        }
        throw new Busy("volume " + v.name() + " keeps changing under this remove", "try again");
    }

    private void refuseIfInUse(Volume v) {
        // A dead holder's claim (and its mount references) go first, after the grace, with an event:
        // a host that died must not keep its volumes from being removed.
        Optional<Claim> claim = claims.current(v.id());
        boolean free = claims.releaseIfHolderDead(v);
        Map<String, List<String>> refs = nodes.refsEverywhere(v.id());
        if (!refs.isEmpty()) {
            var e = refs.entrySet().iterator().next();
            throw new Busy("volume " + v.name() + " is mounted on node " + e.getKey() + " (" + e.getValue().size()
                    + " mount reference" + (e.getValue().size() == 1 ? "" : "s") + ")",
                    "stop the containers using it or run `berth volume unmount`, or remove with --force on that node");
        }
        if (claim.isPresent() && !free) {
            throw new Busy("volume " + v.name() + " is attached to node " + claim.get().node(),
                    "run `berth volume detach " + v.name() + "` there first, or remove with --force on that node");
        }
    }

    /** The steps after the mark; safe to run twice, or on two controllers at once. */
    private void finishRemoval(VolumeCatalog.Held<Removal> mark) {
        Removal r = mark.value();
        services.require(r.service()).remove(r.backendId());
        checkpoints.reached("remove-after-backend");
        if (catalog.finishRemoval(mark)) {
            LOG.info("removed volume " + r.service() + "/" + r.name());
        }
    }

    @Override
    public Optional<VolumeView> byId(String id) {
        return catalog.byId(id).map(v -> views.of(v, false));
    }

    @Override
    public void removeById(String id) {
        // CSI: snapshots are the orchestrator's own objects, removed by their own calls.
        catalog.byId(id).ifPresent(v -> removeWith(v, dev.berth.core.service.SnapshotPolicy.KEEP));
    }

    @Override
    public Grant publish(String volumeId, String node) {
        Names.node(node);
        Volume v = catalog.byId(volumeId).orElseThrow(() -> gone(volumeId));
        long lease;
        try {
            lease = directory.leaseOf(node);
        } catch (dev.berth.core.error.NotFound e) {
            throw new dev.berth.core.error.NotFound("node " + node + " is not registered with Berth (or its lease ended)",
                    "start `berth serve` on that node (role agent or all-in-one), or check the node id the orchestrator uses");
        }
        return claims.take(v, node, lease, true, false);
    }

    @Override
    public void unpublish(String volumeId, String node) {
        Optional<Volume> found = catalog.byId(volumeId);
        if (found.isEmpty()) {
            return;
        }
        Volume v = found.get();
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            Optional<ClaimBook.Held> held = claims.held(v.id());
            if (held.isEmpty() || node != null && !node.isEmpty() && !held.get().claim().node().equals(node)) {
                return;
            }
            String holder = held.get().claim().node();
            if (claims.leaseLeft(held.get()).isPresent()) {
                List<String> refs = nodes.refs(holder, v.id());
                if (!refs.isEmpty()) {
                    throw new Busy("volume " + v.name() + " is still in use on node " + holder + " (" + refs.size()
                            + " mount reference" + (refs.size() == 1 ? "" : "s") + ")",
                            "unstage and unpublish it there first (or stop the containers using it)");
                }
                if (nodes.attachment(holder, v.id()).isPresent()) {
                    throw new Busy("volume " + v.name() + " is still attached on node " + holder,
                            "detach it there first (berth volume detach " + v.name() + ")");
                }
                claims.release(held.get().grant(), dev.berth.core.service.StateKeys.attachment(holder, v.id()));
                return;
            }
            if (claims.releaseIfHolderDead(v, "an orchestrator unpublished it from that node")) {
                return;
            }
        }
        throw new Busy("the claim on volume " + v.name() + " keeps changing", "try again");
    }

    // ---- snapshots and expansion ----------------------------------------------------------

    @Override
    public dev.berth.core.service.SnapshotView snapshot(dev.berth.core.service.CreateSnapshot request,
                                                        dev.berth.core.spi.Progress progress) {
        return snapshots.create(request, progress);
    }

    @Override
    public List<dev.berth.core.service.SnapshotView> snapshots(VolumeRef volume) {
        return snapshots.list(volume);
    }

    @Override
    public dev.berth.core.service.SnapshotView inspectSnapshot(dev.berth.core.service.SnapshotRef ref) {
        return snapshots.inspect(ref);
    }

    @Override
    public void removeSnapshot(dev.berth.core.service.SnapshotRef ref) {
        snapshots.remove(ref);
    }

    /** A snapshot by id (CSI). */
    public Optional<dev.berth.core.service.SnapshotView> snapshotById(String id) {
        return snapshots.byId(id).map(snapshots::view);
    }

    /**
     * Grows the backend object, then the record, each idempotent: a crash in between leaves a
     * bigger object under a smaller record, which a repeat of the call finishes. Sizes are rounded
     * up to 4 KiB (a loop device refreshed to an odd size can fall back to 1 KiB blocks).
     */
    @Override
    public VolumeView expand(VolumeRef ref, String size) {
        Volume v = catalog.resolve(ref);
        long asked = Size.parse(size);
        long want = Math.addExact(asked, 4095) & ~4095L;
        if (want < v.sizeBytes()) {
            throw new dev.berth.core.error.InvalidArgument("volume " + v.name() + " has " + Size.format(v.sizeBytes())
                    + "; " + Size.format(asked) + " is smaller, and shrinking is not supported (it would cut off the"
                    + " filesystem's end)", "ask for at least " + Size.format(v.sizeBytes()));
        }
        if (want == v.sizeBytes()) {
            return views.of(v, true);
        }
        StorageDriver driver = services.require(v.service());
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            Optional<VolumeCatalog.Held<Volume>> held = catalog.heldById(v.id());
            if (held.isEmpty()) {
                throw gone(v.id());
            }
            Volume now = held.get().value();
            if (catalog.removal(v.id()).isPresent()) {
                throw new Busy("volume " + v.name() + " is being removed", "expand another volume");
            }
            if (now.sizeBytes() >= want) {
                return views.of(now, true); // grown meanwhile, by a repeat of this call
            }
            driver.expand(now.backendId(), want);
            if (catalog.replace(held.get(), now.withSize(want))) {
                LOG.info("expanded volume " + v.service() + "/" + v.name() + " from " + Size.format(now.sizeBytes()) + " to "
                        + Size.format(want));
                return views.of(now.withSize(want), true);
            }
        }
        throw new Busy("volume " + v.name() + " keeps changing under this expand", "try again");
    }

    @Override
    public VolumeView inspect(VolumeRef ref) {
        return views.of(catalog.resolve(ref), true);
    }

    @Override
    public List<VolumeView> list(String service) {
        return views.all(catalog.list(service));
    }

    @Override
    public List<ServiceInfo> services() {
        return services.names().stream().map(name -> {
            StorageDriver d = services.require(name);
            CapacityCheck.Usage u = capacity.usage(name);
            boolean isDefault = name.equals(services.defaultService());
            if (u == null) {
                var cap = d.capacity();
                return new ServiceInfo(name, d.kind(), isDefault, cap.total(), cap.available(), null, null, null, null);
            }
            return new ServiceInfo(name, d.kind(), isDefault, u.totalBytes(), u.freeBytes(), u.committedBytes(),
                    u.allocatedBytes(), u.overcommit(), u.headroomBytes());
        }).toList();
    }

    /** The configured services' names (no pool is measured). */
    public List<String> serviceNames() {
        return services.names();
    }

    @Override
    public List<NodeInfo> nodes() {
        return directory.list();
    }

    // ---- ControlPlane --------------------------------------------------------------------

    @Override
    public Duration register(Node node) {
        directory.register(node);
        LOG.fine("node " + node.id() + " registered");
        return directory.ttl();
    }

    /** See {@link NodeDirectory#renewAll}: once the APIs listen after a start. */
    public int renewNodeLeases() {
        return directory.renewAll();
    }

    @Override
    public void heartbeat(String node) {
        directory.heartbeat(Names.node(node));
    }

    @Override
    public Volume resolve(VolumeRef ref) {
        return catalog.resolve(ref);
    }

    @Override
    public Optional<Volume> volume(String id) {
        return catalog.byId(id);
    }

    @Override
    public List<Volume> volumes() {
        return catalog.list(null);
    }

    @Override
    public Optional<Claim> claimOf(String volumeId) {
        return claims.current(volumeId);
    }

    @Override
    public Grant claim(String volumeId, String node, boolean explicit, boolean preempt) {
        Volume v = catalog.byId(volumeId).orElseThrow(() -> gone(volumeId));
        try {
            return claims.take(v, Names.node(node), directory.leaseOf(node), explicit, preempt);
        } catch (AttachedElsewhere e) {
            LOG.info("refused " + v.name() + " to " + node + ": " + e.getMessage());
            throw e;
        }
    }

    @Override
    public void release(Grant grant) {
        claims.release(grant, dev.berth.core.service.StateKeys.attachment(Names.node(grant.node()), grant.volumeId()));
    }

    @Override
    public Optional<Attachment> attachment(String node, String volumeId) {
        return nodes.attachment(Names.node(node), volumeId);
    }

    @Override
    public List<String> refs(String node, String volumeId) {
        return nodes.refs(Names.node(node), volumeId);
    }

    @Override
    public NodeState nodeState(String node) {
        return new NodeState(nodes.attachments(Names.node(node)), nodes.allRefs(node), claims.heldBy(node));
    }

    @Override
    public void putAttachment(Grant grant, Attachment attachment) {
        Volume v = granted(grant, attachment.volumeId());
        if (!nodes.putAttachment(grant.node(), attachment, claims.holds(grant, grant.node(), v.name()))) {
            throw claims.stale(grant, v.name(), claims.held(v.id()));
        }
    }

    @Override
    public void deleteAttachment(String node, String volumeId) {
        nodes.deleteAttachment(Names.node(node), volumeId);
    }

    @Override
    public void recordMount(Grant grant, Attachment attachment, String ref, String filesystem) {
        Volume v = granted(grant, attachment.volumeId());
        Volume updated = filesystem == null || filesystem.equals(v.filesystem()) ? null : v.withFilesystem(filesystem);
        if (!nodes.recordMount(grant.node(), attachment, ref, updated, claims.holds(grant, grant.node(), v.name()))) {
            throw claims.stale(grant, v.name(), claims.held(v.id()));
        }
    }

    @Override
    public void addRef(Grant grant, String ref) {
        Volume v = granted(grant, grant.volumeId());
        if (!nodes.addRef(grant.node(), v.id(), ref, claims.holds(grant, grant.node(), v.name()))) {
            throw claims.stale(grant, v.name(), claims.held(v.id()));
        }
    }

    @Override
    public Map<String, String> lostGrants(String node, List<Grant> grants) {
        Map<String, String> lost = new java.util.LinkedHashMap<>();
        for (Grant g : grants) {
            String name = catalog.byId(g.volumeId()).map(Volume::name).orElse(g.volumeId());
            try {
                claims.holds(g, Names.node(node), name);
            } catch (dev.berth.core.error.Fenced f) {
                lost.put(g.volumeId(), f.getMessage());
            }
        }
        return lost;
    }

    @Override
    public void gaveUp(Grant grant, String what) {
        String name = catalog.byId(grant.volumeId()).map(Volume::name).orElse(grant.volumeId());
        events.record(events.event(Event.GAVE_UP, grant.volumeId(), name, grant.node(), null, grant.epoch(), what));
        LOG.warning("node " + grant.node() + " gave up volume " + name + ": " + what);
        release(grant);
    }

    /** Takeovers, preemptions and self-fencing, oldest first; of one volume when {@code ref} is not null. */
    @Override
    public List<Event> events(VolumeRef ref, int limit) {
        return events.list(ref == null ? null : catalog.resolve(ref).id(), limit);
    }

    /** Drops the oldest events beyond what is kept (the task-purge leader job runs it). */
    public int purgeEvents() {
        return events.purge();
    }

    /** The volume a grant is about; a grant names the volume of the record it is sent with. */
    private Volume granted(Grant grant, String volumeId) {
        if (!grant.volumeId().equals(volumeId)) {
            throw new dev.berth.core.error.InvalidArgument("the grant is for volume " + grant.volumeId()
                    + ", not " + volumeId, "send the grant of the volume the write is about");
        }
        // Records of a volume that does not exist would only be clutter a node can plant: refused.
        return catalog.byId(volumeId).orElseThrow(() -> gone(volumeId));
    }

    @Override
    public int removeRef(String node, String volumeId, String ref) {
        nodes.removeRef(Names.node(node), volumeId, ref);
        return nodes.refs(node, volumeId).size();
    }

    @Override
    public void removeAllRefs(String node, String volumeId) {
        nodes.removeAllRefs(Names.node(node), volumeId);
    }

    private static dev.berth.core.error.NotFound gone(String id) {
        return new dev.berth.core.error.NotFound("no such volume id: " + id,
                "it was removed meanwhile; list volumes with `berth volume ls`");
    }
}
