package dev.berth.core.controller;

import dev.berth.core.error.Busy;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.error.NotSupported;
import dev.berth.core.model.Attachment;
import dev.berth.core.model.Size;
import dev.berth.core.model.Snapshot;
import dev.berth.core.model.SnapshotReservation;
import dev.berth.core.model.Volume;
import dev.berth.core.service.CreateSnapshot;
import dev.berth.core.service.KeyedLocks;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.SnapshotRef;
import dev.berth.core.service.SnapshotView;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.spi.Progress;
import dev.berth.core.spi.StorageDriver;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * Snapshots on the controller: taking one (the name reserved, the backend copy, the record), listing,
 * finding by reference and removing; and the rule every copy of a volume follows (a snapshot, or a
 * clone made from a volume): what a consistent copy needs given who has the volume now.
 */
final class SnapshotOps {
    private static final Logger LOG = Logger.getLogger(SnapshotOps.class.getName());
    private static final int MAX_RETRIES = 16;
    private final SnapshotBook book;
    private final VolumeCatalog catalog;
    private final ClaimBook claims;
    private final NodeBook nodes;
    private final ServiceRegistry services;
    private final Clock clock;
    private final String self;
    private final KeyedLocks locks = new KeyedLocks();

    SnapshotOps(SnapshotBook book, VolumeCatalog catalog, ClaimBook claims, NodeBook nodes, ServiceRegistry services,
                Clock clock, String self) {
        this.book = book;
        this.catalog = catalog;
        this.claims = claims;
        this.nodes = nodes;
        this.services = services;
        this.clock = clock;
        this.self = self;
    }

    /** How a copy of a volume can be made now: its consistency, and the claim revision it rests on. */
    record Stillness(String consistency, long claimRevision) {
    }

    /**
     * Decides whether the volume can be copied consistently now, given who holds it:
     * <ul>
     * <li>no claim, or claimed but attached nowhere: "clean";
     * <li>its holder's lease ended: the holder fenced itself before that (stopped its writers,
     *     unmounted), so the copy is of what it left: "crash-consistent";
     * <li>mounted on a live node: only if that node froze it for this copy ({@code frozenBy}):
     *     "frozen"; else refused, naming the node;
     * <li>attached without a mount (a raw block device): only a reflink is atomic under concurrent
     *     writes: "crash-consistent"; a byte copy is refused;
     * <li>dir volumes cannot be frozen (their folder is on the host's filesystem): "live".
     * </ul>
     */
    Stillness stillness(Volume v, StorageDriver driver, String method, String frozenBy) {
        Optional<ClaimBook.Held> held = claims.held(v.id());
        if (held.isEmpty()) {
            return new Stillness("clean", 0);
        }
        long rev = held.get().kv().modRevision();
        String holder = held.get().claim().node();
        if (claims.leaseLeft(held.get()).isEmpty()) {
            return new Stillness("crash-consistent", rev);
        }
        List<String> refs = nodes.refs(holder, v.id());
        Optional<Attachment> att = nodes.attachment(holder, v.id());
        if (refs.isEmpty() && att.isEmpty()) {
            return new Stillness("clean", rev);
        }
        if (!driver.blockDevices()) {
            return new Stillness("live", rev);
        }
        boolean mounted = att.map(a -> a.mountPoint() != null).orElse(false);
        if (mounted) {
            if (holder.equals(frozenBy)) {
                return new Stillness("frozen", rev);
            }
            throw new Busy("volume " + v.name() + " is mounted on node " + holder
                    + ": a consistent copy freezes its filesystem there, which only that node can do",
                    "run it on " + holder + " (berth --socket /run/berth/berth.sock ... on that host; all-in-one: the"
                            + " local socket), or copy it once it is unmounted");
        }
        if (method.equals("reflink")) {
            return new Stillness("crash-consistent", rev);
        }
        throw new Busy("volume " + v.name() + " is attached to node " + holder + " as a raw device, and service "
                + v.service() + " copies byte by byte (its pool has no reflinks): writes during the copy would tear it",
                "detach it first, or use a loop pool on xfs or btrfs, whose reflink copies are atomic");
    }

    String method(Volume v, StorageDriver driver) {
        return driver.copyMethod().orElseThrow(() -> new NotSupported("service " + v.service() + " (driver "
                + driver.kind() + ") cannot copy volumes, so it has no snapshots or clones",
                "use a loop or dir service"));
    }

    SnapshotView create(CreateSnapshot req, Progress progress) {
        Volume v = catalog.resolve(req.volume());
        StorageDriver driver = services.require(v.service());
        String method = method(v, driver);
        try (KeyedLocks.Held lock = locks.lock(v.id() + "/" + req.name())) {
            for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
                Optional<Snapshot> existing = book.byName(v.id(), req.name());
                if (existing.isPresent()) {
                    return view(existing.get()); // a repeat of the same request
                }
                refuseIfRemoving(v);
                Optional<VolumeCatalog.Held<Volume>> record = catalog.heldById(v.id());
                if (record.isEmpty()) {
                    throw new NotFound("volume " + v.name() + " was removed meanwhile", "list volumes with `berth volume ls`");
                }
                Stillness still = stillness(v, driver, method, req.frozenBy());
                Optional<VolumeCatalog.Held<SnapshotReservation>> reserved = book.reservation(v.id(), req.name());
                if (reserved.isPresent() && reserved.get().value().claimRevision() != still.claimRevision()) {
                    book.abandon(reserved.get()); // a cut-off attempt under another claim: start afresh
                    continue;
                }
                if (reserved.isEmpty()) {
                    SnapshotReservation fresh = new SnapshotReservation(UUID.randomUUID().toString().replace("-", ""),
                            v.id(), req.name(), self, clock.instant(), still.claimRevision());
                    reserved = book.reserve(fresh, record.get().createRevision());
                    if (reserved.isEmpty()) {
                        continue; // taken meanwhile, or the volume began to be removed: look again
                    }
                }
                SnapshotReservation r = reserved.get().value();
                String backendId;
                try {
                    backendId = driver.snapshot(v.backendId(), r.snapshotId(), progress);
                } catch (RuntimeException e) {
                    book.abandon(reserved.get());
                    throw e;
                }
                Snapshot s = new Snapshot(r.snapshotId(), r.name(), v.id(), v.name(), v.service(), driver.kind(), backendId,
                        v.sizeBytes(), v.fsType(), method, still.consistency(), r.at(), v.filesystem());
                if (book.complete(reserved.get(), s)) {
                    LOG.info("took snapshot " + v.name() + "@" + s.name() + " (" + method + ", " + still.consistency() + ")");
                    return view(s);
                }
                // The volume began to be removed, was claimed anew during the copy, or the
                // reservation was dropped: this copy is not what was asked for.
                driver.removeSnapshot(backendId);
                book.abandon(reserved.get());
                refuseIfRemoving(v);
            }
        }
        throw new Busy("volume " + req.volume() + " keeps changing under this snapshot (attached, detached or claimed"
                + " anew during each copy)", "try again once it is settled");
    }

    private void refuseIfRemoving(Volume v) {
        if (catalog.removal(v.id()).isPresent()) {
            throw new Busy("volume " + v.name() + " is being removed, so it gets no snapshot",
                    "snapshot another volume; `berth volume rm " + v.name() + "` finishes the remove");
        }
    }

    List<SnapshotView> list(VolumeRef volume) {
        List<Snapshot> all = book.all();
        List<SnapshotView> out = new ArrayList<>();
        for (Snapshot s : all) {
            if (volume == null || s.volumeName().equals(volume.name())
                    && (volume.service() == null || s.service().equals(volume.service()))) {
                out.add(view(s, false));
            }
        }
        return out;
    }

    SnapshotView inspect(SnapshotRef ref) {
        return view(resolve(ref));
    }

    void remove(SnapshotRef ref) {
        remove(resolve(ref));
    }

    void remove(Snapshot s) {
        services.require(s.service()).removeSnapshot(s.backendId());
        book.delete(s);
        LOG.info("removed snapshot " + s.volumeName() + "@" + s.name());
    }

    Optional<Snapshot> byId(String id) {
        return book.byId(id);
    }

    List<Snapshot> ofVolume(String volumeId) {
        return book.ofVolume(volumeId);
    }

    /**
     * Finds a snapshot: by id; by name alone when one snapshot has it; by volume and name, where
     * the volume may be gone (then by the name it had; one that exists now wins over a removed
     * one of the same name).
     */
    Snapshot resolve(SnapshotRef ref) {
        if (ref.volume() == null) {
            Optional<Snapshot> byId = book.byId(ref.name());
            if (byId.isPresent()) {
                return byId.get();
            }
        }
        List<Snapshot> found = new ArrayList<>();
        for (Snapshot s : book.all()) {
            if (s.name().equals(ref.name()) && (ref.volume() == null || s.volumeName().equals(ref.volume()))
                    && (ref.service() == null || s.service().equals(ref.service()))) {
                found.add(s);
            }
        }
        if (found.size() > 1) {
            List<Snapshot> ofLive = found.stream().filter(s -> current(s).isPresent()).toList();
            if (ref.volume() != null && ofLive.size() == 1) {
                return ofLive.getFirst();
            }
            throw new InvalidArgument("snapshot name " + ref + " is ambiguous: "
                    + found.stream().map(s -> s.service() + "/" + s.volumeName() + "@" + s.name() + " (id " + s.id() + ")")
                    .toList(), "name it as <volume>@<snapshot> or <service>/<volume>@<snapshot>, or by its id");
        }
        if (found.isEmpty()) {
            throw new NotFound("no such snapshot: " + ref, "list snapshots with `berth snapshot ls`");
        }
        return found.getFirst();
    }

    /** The volume a snapshot was taken of, if it still exists (and is the same volume, by id). */
    private Optional<Volume> current(Snapshot s) {
        return catalog.byId(s.volumeId());
    }

    /** Drops snapshots in progress that were cut off (older than {@code cutoff}); returns what it did. */
    List<String> dropStale(Instant cutoff) {
        List<String> out = new ArrayList<>();
        for (VolumeCatalog.Held<SnapshotReservation> held : book.reservations()) {
            SnapshotReservation r = held.value();
            if (r.at().isAfter(cutoff)) {
                continue;
            }
            Optional<Volume> v = catalog.byId(r.volumeId());
            if (v.isPresent()) {
                StorageDriver driver = services.require(v.get().service());
                driver.snapshotBackendIdOf(r.snapshotId()).ifPresent(driver::removeSnapshot);
            }
            if (book.abandon(held)) {
                out.add("dropped snapshot " + v.map(Volume::name).orElse(r.volumeId()) + "@" + r.name() + " (reserved by "
                        + r.by() + " at " + r.at() + "), which was cut off: a point in time cannot be finished later");
            }
        }
        return out;
    }

    SnapshotView view(Snapshot s) {
        return view(s, true);
    }

    private SnapshotView view(Snapshot s, boolean withDetails) {
        java.util.Map<String, String> details = java.util.Map.of();
        if (withDetails && services.names().contains(s.service())) {
            details = services.require(s.service()).describeSnapshot(s.backendId());
        }
        return new SnapshotView(s.id(), s.name(), s.volumeId(), s.volumeName(), s.service(), s.driver(), s.sizeBytes(),
                Size.format(s.sizeBytes()), s.fsType().id(), s.method(), s.consistency(),
                s.created(), current(s).isPresent(), details);
    }
}
