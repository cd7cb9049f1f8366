package dev.berth.core.controller;

import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.model.Removal;
import dev.berth.core.model.Reservation;
import dev.berth.core.model.Volume;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.StateKeys;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StateStore.Compare;
import dev.berth.core.spi.StateStore.KeyValue;
import dev.berth.core.spi.StateStore.Op;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Volume records and the name index, kept consistent with each other by transactions. */
final class VolumeCatalog {
    private static final Comparator<Volume> BY_NAME = Comparator.comparing(Volume::name).thenComparing(Volume::service);
    private final StateStore store;
    private final Codec codec;
    private final ServiceRegistry services;
    /**
     * Records already decoded, by key, with the modRevision they were decoded at. Decoding JSON was
     * most of the cost of listing (10,000 volumes: ~30 ms of ~40 ms), and records rarely change, so
     * a list (or a lookup by id) decodes only what changed since. A stored record with the same key
     * and modRevision has the same bytes, so a hit is never stale. Entries of removed volumes are
     * dropped on delete and by the next full listing.
     */
    private final ConcurrentHashMap<String, Decoded> decoded = new ConcurrentHashMap<>();

    private record Decoded(long modRevision, Volume volume) {
    }

    /** The last full listing and the store revision it was made at. */
    private volatile Listing listing;

    private record Listing(long revision, List<Volume> volumes) {
    }

    VolumeCatalog(StateStore store, Codec codec, ServiceRegistry services) {
        this.store = store;
        this.codec = codec;
        this.services = services;
    }

    Optional<Volume> byName(String service, String name) {
        return store.get(StateKeys.name(service, name))
                .map(kv -> new String(kv.value(), StandardCharsets.UTF_8))
                .flatMap(this::byId);
    }

    Optional<Volume> byId(String id) {
        return store.get(StateKeys.volume(id)).map(this::decode);
    }

    /**
     * Finds a volume by reference. Without a service, the name must be unique across services:
     * a name in two services is ambiguous and the caller is told to pick one.
     */
    Volume resolve(VolumeRef ref) {
        if (ref.service() != null) {
            services.require(ref.service());
            return byName(ref.service(), ref.name()).orElseThrow(() -> notFound(ref));
        }
        List<Volume> found = new ArrayList<>(1);
        for (String service : services.names()) {
            byName(service, ref.name()).ifPresent(found::add);
        }
        if (found.isEmpty()) {
            throw notFound(ref);
        }
        if (found.size() > 1) {
            throw new InvalidArgument("volume name " + ref.name() + " exists in several services: "
                    + found.stream().map(Volume::service).toList(), "name the service (--service)");
        }
        return found.getFirst();
    }

    /**
     * A name that is only reserved has no volume yet: it is not found, but the message says a
     * create of it is under way (or was cut off), and what finishes it.
     */
    private NotFound notFound(VolumeRef ref) {
        for (String service : ref.service() != null ? List.of(ref.service()) : services.names()) {
            Optional<Held<Reservation>> r = reservation(service, ref.name());
            if (r.isPresent()) {
                return new NotFound("no such volume: " + ref + " (a create of it in service " + service
                        + " is in progress or was cut off, since " + r.get().value().at() + ")",
                        "repeat the same create to finish it; the controller's reconcile also finishes it");
            }
        }
        return new NotFound("no such volume: " + ref, "list volumes with `berth volume ls`");
    }

    /** A stored value with the revisions a compare-and-swap needs. */
    record Held<T>(T value, long createRevision, long modRevision) {
    }

    Optional<Held<Volume>> heldById(String id) {
        return store.get(StateKeys.volume(id)).map(kv -> new Held<>(decode(kv), kv.createRevision(), kv.modRevision()));
    }

    Optional<Held<Reservation>> reservation(String service, String name) {
        return store.get(StateKeys.creating(service, name)).map(this::reservationOf);
    }

    /** Every create in progress. */
    List<Held<Reservation>> reservations() {
        return store.list(StateKeys.CREATING).stream().map(this::reservationOf).toList();
    }

    private Held<Reservation> reservationOf(KeyValue kv) {
        return new Held<>(codec.decode(kv.value(), Reservation.class), kv.createRevision(), kv.modRevision());
    }

    /**
     * Reserves the name and its future id, if neither the name nor a reservation of it exists;
     * {@code compares} and {@code ops} join the same transaction (the capacity guard). Returns the
     * reservation as stored, or empty if the name was taken meanwhile.
     */
    Optional<Held<Reservation>> reserve(Reservation r, List<Compare> compares, List<Op> ops) {
        ReservationKeys k = new ReservationKeys(r);
        List<Compare> all = new ArrayList<>(List.of(Compare.absent(k.name()), Compare.absent(k.creating()),
                Compare.absent(StateKeys.volume(r.volumeId()))));
        all.addAll(compares);
        List<Op> allOps = new ArrayList<>(ops);
        allOps.add(new Op.Put(k.creating(), codec.encode(r), StateStore.NO_LEASE));
        StateStore.TxnResult res = store.txn(all, allOps);
        // The put's create revision is the transaction's revision.
        return res.succeeded() ? Optional.of(new Held<>(r, res.revision(), res.revision())) : Optional.empty();
    }

    /**
     * Turns the reservation into the record and its name entry, if the reservation is still the
     * one read (same create revision); false if it was completed or dropped meanwhile.
     */
    boolean complete(Held<Reservation> r, Volume v) {
        ReservationKeys k = new ReservationKeys(r.value());
        return store.txn(
                List.of(Compare.createRevision(k.creating(), r.createRevision()), Compare.absent(k.name()),
                        Compare.absent(StateKeys.volume(v.id()))),
                List.of(new Op.Put(StateKeys.volume(v.id()), codec.encode(v), StateStore.NO_LEASE),
                        new Op.Put(k.name(), v.id().getBytes(StandardCharsets.UTF_8), StateStore.NO_LEASE),
                        new Op.Delete(k.creating()))).succeeded();
    }

    /** Drops the reservation if it is still the one read; false if it is gone or another one. */
    boolean abandon(Held<Reservation> r) {
        return store.txn(List.of(Compare.createRevision(new ReservationKeys(r.value()).creating(), r.createRevision())),
                List.of(new Op.Delete(new ReservationKeys(r.value()).creating()))).succeeded();
    }

    private record ReservationKeys(String name, String creating) {
        ReservationKeys(Reservation r) {
            this(StateKeys.name(r.spec().service(), r.spec().name()), StateKeys.creating(r.spec().service(), r.spec().name()));
        }
    }

    Optional<Held<Removal>> removal(String volumeId) {
        return store.get(StateKeys.removing(volumeId)).map(this::removalOf);
    }

    /** Every remove in progress. */
    List<Held<Removal>> removals() {
        return store.list(StateKeys.REMOVING).stream().map(this::removalOf).toList();
    }

    private Held<Removal> removalOf(KeyValue kv) {
        return new Held<>(codec.decode(kv.value(), Removal.class), kv.createRevision(), kv.modRevision());
    }

    /**
     * Marks the volume as being removed, in one transaction with the checks that make that safe:
     * it has no claim (so no node may attach it) and its record is the one read. From then on no
     * claim can be taken ({@link ClaimBook#take} compares the mark's absence). Empty if any check
     * failed (a claim was taken, the record changed or another remove marked it).
     */
    Optional<Held<Removal>> markRemoving(Held<Volume> v, Removal r) {
        String key = StateKeys.removing(r.volumeId());
        StateStore.TxnResult res = store.txn(
                List.of(Compare.absent(StateKeys.claim(r.volumeId())), Compare.modRevision(StateKeys.volume(r.volumeId()),
                        v.modRevision()), Compare.absent(key)),
                List.of(new Op.Put(key, codec.encode(r), StateStore.NO_LEASE)));
        return res.succeeded() ? Optional.of(new Held<>(r, res.revision(), res.revision())) : Optional.empty();
    }

    /**
     * Deletes the records of a volume whose backend object is gone, with its removal mark, if the
     * mark is still the one read; false if another controller finished it first.
     */
    boolean finishRemoval(Held<Removal> r) {
        Removal x = r.value();
        decoded.remove(StateKeys.volume(x.volumeId()));
        return store.txn(List.of(Compare.createRevision(StateKeys.removing(x.volumeId()), r.createRevision())),
                List.of(new Op.Delete(StateKeys.volume(x.volumeId())), new Op.Delete(StateKeys.name(x.service(), x.name())),
                        new Op.Delete(StateKeys.epoch(x.volumeId())), new Op.Delete(StateKeys.removing(x.volumeId()))))
                .succeeded();
    }

    /** Replaces the record if it is still the one read (same mod revision); false if it changed. */
    boolean replace(Held<Volume> held, Volume updated) {
        decoded.remove(StateKeys.volume(updated.id()));
        return store.txn(List.of(Compare.modRevision(StateKeys.volume(updated.id()), held.modRevision())),
                List.of(new Op.Put(StateKeys.volume(updated.id()), codec.encode(updated), StateStore.NO_LEASE))).succeeded();
    }

    /** Adds the record and its name entry atomically; false if the name was taken meanwhile. */
    boolean insert(Volume v) {
        return store.txn(
                List.of(new Compare(StateKeys.name(v.service(), v.name()), 0), new Compare(StateKeys.volume(v.id()), 0)),
                List.of(new Op.Put(StateKeys.volume(v.id()), codec.encode(v), StateStore.NO_LEASE),
                        new Op.Put(StateKeys.name(v.service(), v.name()), v.id().getBytes(StandardCharsets.UTF_8),
                                StateStore.NO_LEASE))).succeeded();
    }

    /** Volumes of one service (or all when null), by name; the list is read-only. */
    List<Volume> list(String service) {
        if (service != null) {
            services.require(service);
        }
        List<Volume> all = sortedVolumes();
        if (service == null) {
            return all;
        }
        List<Volume> out = new ArrayList<>();
        for (Volume v : all) {
            if (service.equals(v.service())) {
                out.add(v);
            }
        }
        return out;
    }

    /**
     * The volumes of one service in no particular order, for the capacity check on every create:
     * unlike {@link #list} it never sorts, and decoded records come from the cache.
     */
    List<Volume> ofService(String service) {
        List<Volume> out = new ArrayList<>();
        for (KeyValue kv : store.list(StateKeys.VOLUMES)) {
            Volume v = decode(kv);
            if (service.equals(v.service())) {
                out.add(v);
            }
        }
        return out;
    }

    /**
     * Every volume by name, computed once per store revision: the revision is read first, so the
     * listing kept for it is at least that new, and any write makes the next call compute afresh.
     * Sorting 10,000 names was the largest cost of a list once decoding was cached.
     */
    private List<Volume> sortedVolumes() {
        long revision = store.revision();
        Listing last = listing;
        if (last != null && last.revision() == revision) {
            return last.volumes();
        }
        List<KeyValue> all = store.list(StateKeys.VOLUMES);
        List<Volume> out = new ArrayList<>(all.size());
        for (KeyValue kv : all) {
            out.add(decode(kv));
        }
        forgetRemoved(all);
        out.sort(BY_NAME);
        List<Volume> sorted = Collections.unmodifiableList(out);
        listing = new Listing(revision, sorted);
        return sorted;
    }

    private Volume decode(KeyValue kv) {
        Decoded d = decoded.get(kv.key());
        if (d != null && d.modRevision() == kv.modRevision()) {
            return d.volume();
        }
        Volume v = codec.decode(kv.value(), Volume.class);
        decoded.put(kv.key(), new Decoded(kv.modRevision(), v));
        return v;
    }

    /** Drops decoded records of removed volumes, so the cache never outgrows the store. */
    private void forgetRemoved(List<KeyValue> listed) {
        if (decoded.size() > listed.size()) {
            Set<String> keys = new HashSet<>(listed.size() * 2);
            listed.forEach(kv -> keys.add(kv.key()));
            decoded.keySet().retainAll(keys);
        }
    }

    static AlreadyExists conflict(Volume existing, String what) {
        return new AlreadyExists("volume " + existing.name() + " already exists in service " + existing.service()
                + " with a different " + what, "choose another name, or remove the existing volume first");
    }
}
