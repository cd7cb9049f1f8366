package dev.berth.core.controller;

import dev.berth.core.error.AttachedElsewhere;
import dev.berth.core.error.Busy;
import dev.berth.core.error.NotFound;
import dev.berth.core.model.Claim;
import dev.berth.core.model.Volume;
import dev.berth.core.service.StateKeys;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StateStore.Compare;
import dev.berth.core.spi.StateStore.KeyValue;
import dev.berth.core.spi.StateStore.Op;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Claims: which node may attach a volume. A claim is taken with a compare-and-swap, bound to the
 * holder's node lease, and bumps the volume's epoch; the epoch lives in its own key without a
 * lease so it survives the claim.
 */
final class ClaimBook {
    private static final int MAX_RETRIES = 16;
    private final StateStore store;
    private final Codec codec;
    private final Clock clock;

    ClaimBook(StateStore store, Codec codec, Clock clock) {
        this.store = store;
        this.codec = codec;
        this.clock = clock;
    }

    Optional<Claim> current(String volumeId) {
        return store.get(StateKeys.claim(volumeId)).map(kv -> codec.decode(kv.value(), Claim.class));
    }

    /**
     * Takes the claim for {@code node} (idempotent for the same node, rebinding it to the current
     * lease if it was taken under an older one). {@code explicit} is sticky: once explicit, a later
     * mount does not make it implicit.
     */
    Claim take(Volume v, String node, long lease, boolean explicit) {
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            // Every write below compares these two: a claim is never taken on a volume whose record
            // is gone or replaced, or that a remove has marked (see VolumeCatalog#markRemoving).
            KeyValue record = store.get(StateKeys.volume(v.id())).orElseThrow(() -> gone(v));
            if (store.get(StateKeys.removing(v.id())).isPresent()) {
                throw new NotFound("volume " + v.name() + " is being removed",
                        "it cannot be attached or mounted any more; create it again once the remove is over");
            }
            List<Compare> stillThere = List.of(Compare.createRevision(StateKeys.volume(v.id()), record.createRevision()),
                    Compare.absent(StateKeys.removing(v.id())));
            Optional<KeyValue> held = store.get(StateKeys.claim(v.id()));
            if (held.isPresent()) {
                Claim c = codec.decode(held.get().value(), Claim.class);
                if (!c.node().equals(node)) {
                    throw new AttachedElsewhere(v.name(), c.node(),
                            store.timeToLive(held.get().lease()).orElse(null));
                }
                if (held.get().lease() == lease && (c.explicit() || !explicit)) {
                    return c;
                }
                Claim updated = new Claim(c.volumeId(), c.node(), c.epoch(), c.explicit() || explicit, c.since());
                List<Compare> compares = new ArrayList<>(stillThere);
                compares.add(Compare.modRevision(StateKeys.claim(v.id()), held.get().modRevision()));
                if (store.txn(compares, List.of(new Op.Put(StateKeys.claim(v.id()), codec.encode(updated), lease))).succeeded()) {
                    return updated;
                }
                continue;
            }
            Optional<KeyValue> epochKv = store.get(StateKeys.epoch(v.id()));
            long epoch = epochKv.map(kv -> Long.parseLong(new String(kv.value(), StandardCharsets.UTF_8))).orElse(0L) + 1;
            Claim c = new Claim(v.id(), node, epoch, explicit, clock.instant());
            List<Compare> compares = new ArrayList<>(stillThere);
            compares.add(Compare.absent(StateKeys.claim(v.id())));
            compares.add(Compare.modRevision(StateKeys.epoch(v.id()), epochKv.map(KeyValue::modRevision).orElse(0L)));
            boolean ok = store.txn(compares,
                    List.of(new Op.Put(StateKeys.claim(v.id()), codec.encode(c), lease),
                            new Op.Put(StateKeys.epoch(v.id()), Long.toString(epoch).getBytes(StandardCharsets.UTF_8),
                                    StateStore.NO_LEASE))).succeeded();
            if (ok) {
                return c;
            }
        }
        throw new Busy("volume " + v.name() + " is being claimed by someone else right now", "try again");
    }

    private static NotFound gone(Volume v) {
        return new NotFound("volume " + v.name() + " was removed meanwhile", "list volumes with `berth volume ls`");
    }

    /**
     * Releases the claim if {@code node} holds it (a claim held by another node is left alone) and
     * deletes {@code alsoDelete} in the same transaction, so a release is one durable write.
     */
    void release(String volumeId, String node, String... alsoDelete) {
        List<Op> extra = java.util.Arrays.stream(alsoDelete).<Op>map(Op.Delete::new).toList();
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            Optional<KeyValue> held = store.get(StateKeys.claim(volumeId));
            if (held.isEmpty() || !codec.decode(held.get().value(), Claim.class).node().equals(node)) {
                if (!extra.isEmpty()) {
                    store.txn(List.of(), extra);
                }
                return;
            }
            List<Op> ops = new java.util.ArrayList<>(extra);
            ops.add(new Op.Delete(StateKeys.claim(volumeId)));
            if (store.txn(List.of(new Compare(StateKeys.claim(volumeId), held.get().modRevision())), ops).succeeded()) {
                return;
            }
        }
        throw new Busy("the claim on volume " + volumeId + " keeps changing", "try again");
    }

    /** The claims {@code node} holds, by volume id (one scan of the claim keys). */
    java.util.Map<String, Claim> heldBy(String node) {
        java.util.Map<String, Claim> out = new java.util.HashMap<>();
        for (KeyValue kv : store.list(StateKeys.CLAIMS)) {
            Claim c = codec.decode(kv.value(), Claim.class);
            if (c.node().equals(node)) {
                out.put(c.volumeId(), c);
            }
        }
        return out;
    }

    long epoch(String volumeId) {
        return store.get(StateKeys.epoch(volumeId))
                .map(kv -> Long.parseLong(new String(kv.value(), StandardCharsets.UTF_8))).orElse(0L);
    }
}
