package dev.berth.core.controller;

import dev.berth.core.model.Snapshot;
import dev.berth.core.model.SnapshotReservation;
import dev.berth.core.service.StateKeys;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StateStore.Compare;
import dev.berth.core.spi.StateStore.KeyValue;
import dev.berth.core.spi.StateStore.Op;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Snapshot records, their names (unique per volume) and snapshots in progress, kept consistent
 * with each other and with the volume they copy by transactions.
 */
final class SnapshotBook {
    static final Comparator<Snapshot> ORDER = Comparator.comparing(Snapshot::volumeName)
            .thenComparing(Snapshot::service).thenComparing(Snapshot::name).thenComparing(Snapshot::id);
    private final StateStore store;
    private final Codec codec;

    SnapshotBook(StateStore store, Codec codec) {
        this.store = store;
        this.codec = codec;
    }

    Optional<Snapshot> byId(String id) {
        if (id == null || id.isEmpty() || id.indexOf('/') >= 0) {
            return Optional.empty();
        }
        return store.get(StateKeys.snapshot(id)).map(kv -> codec.decode(kv.value(), Snapshot.class));
    }

    Optional<Snapshot> byName(String volumeId, String name) {
        return store.get(StateKeys.snapshotName(volumeId, name))
                .map(kv -> new String(kv.value(), StandardCharsets.UTF_8)).flatMap(this::byId);
    }

    /** Every snapshot, by volume name, service and name. */
    List<Snapshot> all() {
        return store.list(StateKeys.SNAPSHOTS).stream().map(kv -> codec.decode(kv.value(), Snapshot.class))
                .sorted(ORDER).toList();
    }

    /** The snapshots of one volume (by id), by name. */
    List<Snapshot> ofVolume(String volumeId) {
        return store.list(StateKeys.SNAPSHOT_NAMES + volumeId + "/").stream()
                .map(kv -> new String(kv.value(), StandardCharsets.UTF_8)).map(this::byId)
                .flatMap(Optional::stream).sorted(ORDER).toList();
    }

    Optional<VolumeCatalog.Held<SnapshotReservation>> reservation(String volumeId, String name) {
        return store.get(StateKeys.snapshotting(volumeId, name)).map(this::reservationOf);
    }

    List<VolumeCatalog.Held<SnapshotReservation>> reservations() {
        return store.list(StateKeys.SNAPSHOTTING).stream().map(this::reservationOf).toList();
    }

    private VolumeCatalog.Held<SnapshotReservation> reservationOf(KeyValue kv) {
        return new VolumeCatalog.Held<>(codec.decode(kv.value(), SnapshotReservation.class), kv.createRevision(),
                kv.modRevision());
    }

    /**
     * Takes the name for a snapshot of the volume whose record was read at {@code volumeCreateRevision},
     * if neither the name nor a reservation of it exists and the volume is not being removed.
     */
    Optional<VolumeCatalog.Held<SnapshotReservation>> reserve(SnapshotReservation r, long volumeCreateRevision) {
        String key = StateKeys.snapshotting(r.volumeId(), r.name());
        StateStore.TxnResult res = store.txn(List.of(Compare.absent(StateKeys.snapshotName(r.volumeId(), r.name())),
                        Compare.absent(key), Compare.absent(StateKeys.removing(r.volumeId())),
                        Compare.createRevision(StateKeys.volume(r.volumeId()), volumeCreateRevision)),
                List.of(new Op.Put(key, codec.encode(r), StateStore.NO_LEASE)));
        return res.succeeded() ? Optional.of(new VolumeCatalog.Held<>(r, res.revision(), res.revision())) : Optional.empty();
    }

    /**
     * Turns the reservation into the record and its name, if the reservation is still the one
     * read, the volume is not being removed and its claim did not change since the copy's
     * consistency was decided (a node that attached it meanwhile may have written during the copy).
     */
    boolean complete(VolumeCatalog.Held<SnapshotReservation> held, Snapshot s) {
        SnapshotReservation r = held.value();
        String key = StateKeys.snapshotting(r.volumeId(), r.name());
        return store.txn(List.of(Compare.createRevision(key, held.createRevision()),
                        Compare.absent(StateKeys.removing(r.volumeId())),
                        Compare.modRevision(StateKeys.claim(r.volumeId()), r.claimRevision())),
                List.of(new Op.Put(StateKeys.snapshot(s.id()), codec.encode(s), StateStore.NO_LEASE),
                        new Op.Put(StateKeys.snapshotName(r.volumeId(), r.name()), s.id().getBytes(StandardCharsets.UTF_8),
                                StateStore.NO_LEASE),
                        new Op.Delete(key))).succeeded();
    }

    /** Drops the reservation if it is still the one read. */
    boolean abandon(VolumeCatalog.Held<SnapshotReservation> held) {
        String key = StateKeys.snapshotting(held.value().volumeId(), held.value().name());
        return store.txn(List.of(Compare.createRevision(key, held.createRevision())), List.of(new Op.Delete(key)))
                .succeeded();
    }

    /** Deletes the record and its name (the backend object is gone already). */
    void delete(Snapshot s) {
        store.txn(List.of(), List.of(new Op.Delete(StateKeys.snapshot(s.id())),
                new Op.Delete(StateKeys.snapshotName(s.volumeId(), s.name()))));
    }
}
