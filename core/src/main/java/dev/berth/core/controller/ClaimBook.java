package dev.berth.core.controller;

import dev.berth.core.error.AttachedElsewhere;
import dev.berth.core.error.Busy;
import dev.berth.core.error.Fenced;
import dev.berth.core.error.NotFound;
import dev.berth.core.model.Claim;
import dev.berth.core.model.Event;
import dev.berth.core.model.Grant;
import dev.berth.core.model.Volume;
import dev.berth.core.service.StateKeys;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StateStore.Compare;
import dev.berth.core.spi.StateStore.KeyValue;
import dev.berth.core.spi.StateStore.Op;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Claims: which node may attach a volume. A claim is taken with a compare-and-swap and bumps the
 * volume's epoch (its own key, so it survives the claim). The claim names the holder's node lease
 * and is alive while that lease is; a claim whose holder is dead is taken over here only, after the
 * grace, with the backend's fence, an epoch bump and an event in the same transaction. Every grant
 * handed out carries the claim's store revision, which node-side writes are compared against.
 */
final class ClaimBook {
    private static final Logger LOG = Logger.getLogger(ClaimBook.class.getName());
    private static final int MAX_RETRIES = 16;
    private final StateStore store;
    private final Codec codec;
    private final Clock clock;
    private final GraceClock grace;
    private final EventLog events;
    private final Fencing fencing;

    /** The backend's revocation of a host's access to a volume; returns what it did, in words. */
    interface Fencing {
        String fence(Volume v, String node);
    }

    /** A claim as stored, with the revision its grant carries. */
    record Held(Claim claim, KeyValue kv) {
        Grant grant() {
            return claim.grant(kv.modRevision(), null);
        }
    }

    /** How long a preemption waits for the old holder to report that it gave the volume up. */
    private final Duration preemptWait;

    ClaimBook(StateStore store, Codec codec, Clock clock, GraceClock grace, EventLog events, Fencing fencing,
              Duration preemptWait) {
        this.preemptWait = preemptWait;
        this.store = store;
        this.codec = codec;
        this.clock = clock;
        this.grace = grace;
        this.events = events;
        this.fencing = fencing;
    }

    Optional<Claim> current(String volumeId) {
        return held(volumeId).map(Held::claim);
    }

    Optional<Held> held(String volumeId) {
        return store.get(StateKeys.claim(volumeId)).map(kv -> new Held(codec.decode(kv.value(), Claim.class), kv));
    }

    /** The time the holder's lease has left; empty when the holder is dead (its lease is gone or replaced). */
    Optional<Duration> leaseLeft(Held h) {
        long lease = h.claim().lease();
        if (lease == 0) {
            // Written before grants: the claim key itself was bound to the holder's lease.
            return h.kv().lease() == StateStore.NO_LEASE ? Optional.empty() : store.timeToLive(h.kv().lease());
        }
        Optional<KeyValue> node = store.get(StateKeys.node(h.claim().node()));
        if (node.isEmpty() || node.get().lease() != lease) {
            return Optional.empty();
        }
        return store.timeToLive(lease);
    }

    /**
     * Takes the claim for {@code node} under its live lease {@code lease}. The same node again: its
     * grant (re-bound to the current lease, and made explicit when asked; the revision moves then).
     * Another live holder: AttachedElsewhere, unless {@code preempt}. A dead holder: taken over after
     * the grace. {@code explicit} is sticky: once explicit, a later mount does not make it implicit.
     */
    Grant take(Volume v, String node, long lease, boolean explicit, boolean preempt) {
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
            Optional<Held> held = held(v.id());
            if (held.isPresent()) {
                Claim c = held.get().claim();
                long rev = held.get().kv().modRevision();
                if (c.node().equals(node)) {
                    if (c.lease() == lease && (c.explicit() || !explicit)) {
                        return held.get().grant();
                    }
                    // The same node under a new lease (it registered again) or now explicit. Safe: a
                    // takeover or another claim would have changed the revision this compares.
                    Claim updated = new Claim(c.volumeId(), c.node(), c.epoch(), c.explicit() || explicit, c.since(), lease);
                    List<Compare> compares = new ArrayList<>(stillThere);
                    compares.add(Compare.modRevision(StateKeys.claim(v.id()), rev));
                    StateStore.TxnResult r = store.txn(compares, List.of(put(updated)));
                    if (r.succeeded()) {
                        return updated.grant(r.revision(), null);
                    }
                    continue;
                }
                Optional<Duration> left = leaseLeft(held.get());
                if (left.isPresent() && !preempt) {
                    throw new AttachedElsewhere(v.name(), c.node(), left.get());
                }
                if (left.isEmpty() && !deadAfterGrace(v, rev)) {
                    continue; // changed while we waited (released, taken, or its holder came back)
                }
                String why = left.isEmpty()
                        ? "node " + c.node() + "'s lease ended and " + grace.grace().toMillis() + " ms of grace passed"
                        : "node " + node + " preempted it (--preempt) while node " + c.node() + "'s lease had "
                        + left.get().toMillis() + " ms left; " + c.node() + " is told to fence itself";
                Optional<Grant> taken = takeOver(v, held.get(), node, lease, explicit, stillThere,
                        left.isEmpty() ? Event.TAKEOVER : Event.PREEMPT, why);
                if (taken.isPresent()) {
                    return taken.get();
                }
                continue;
            }
            EpochAt at = epochAt(v.id());
            long epoch = at.value() + 1;
            Claim c = new Claim(v.id(), node, epoch, explicit, clock.instant(), lease);
            List<Compare> compares = new ArrayList<>(stillThere);
            compares.add(Compare.absent(StateKeys.claim(v.id())));
            compares.add(Compare.modRevision(StateKeys.epoch(v.id()), at.revision()));
            StateStore.TxnResult r = store.txn(compares, List.of(put(c), putEpoch(v.id(), epoch)));
            if (r.succeeded()) {
                return c.grant(r.revision(), null);
            }
        }
        throw new Busy("volume " + v.name() + " is being claimed by someone else right now", "try again");
    }

    /**
     * Moves the claim from a dead (or preempted) holder to {@code node}, or to nobody when
     * {@code node} is null: the backend's fence first, then one transaction that bumps the epoch,
     * writes the new claim (or deletes it), drops the old holder's attachment and mount references
     * of the volume, and records the event. Empty when the claim changed meanwhile.
     */
    private Optional<Grant> takeOver(Volume v, Held old, String node, long lease, boolean explicit,
                                     List<Compare> stillThere, String kind, String why) {
        Claim c = old.claim();
        String fenced;
        try {
            fenced = fencing.fence(v, c.node());
        } catch (RuntimeException e) {
            // A backend that can revoke access but failed to: never hand the volume on unfenced.
            throw new Busy("could not fence node " + c.node() + " from volume " + v.name() + ": " + e.getMessage(),
                    "the takeover is tried again with the next request", e);
        }
        EpochAt at = epochAt(v.id());
        long epoch = Math.max(c.epoch(), at.value()) + 1;
        List<Compare> compares = new ArrayList<>(stillThere);
        compares.add(Compare.modRevision(StateKeys.claim(v.id()), old.kv().modRevision()));
        compares.add(Compare.modRevision(StateKeys.epoch(v.id()), at.revision()));
        List<Op> ops = new ArrayList<>();
        Claim next = node == null ? null : new Claim(v.id(), node, epoch, explicit, clock.instant(), lease);
        ops.add(next == null ? new Op.Delete(StateKeys.claim(v.id())) : put(next));
        ops.add(putEpoch(v.id(), epoch));
        ops.add(new Op.Delete(StateKeys.attachment(c.node(), v.id())));
        store.list(StateKeys.mountsOf(c.node(), v.id())).stream().limit(100)
                .forEach(kv -> ops.add(new Op.Delete(kv.key())));
        Event e = events.event(kind, v.id(), v.name(), c.node(), node, epoch, why + "; fence: " + fenced);
        ops.add(events.put(e));
        StateStore.TxnResult r = store.txn(compares, ops);
        if (!r.succeeded()) {
            return Optional.empty();
        }
        grace.done(v.id(), old.kv().modRevision());
        if (kind.equals(Event.PREEMPT)) {
            // The old holder is alive: it learns at its next check (within one heartbeat period) and
            // gives the volume up. The new holder gets it once that is reported, or once the old
            // holder's lease has ended and the grace passed (it fenced itself by then), so that its
            // writers and the new holder's never overlap.
            boolean reported = grace.waitUntil(() -> events.gaveUpSince(v.id(), c.node(), e.id())
                    || leaseLeft(old).isEmpty(), preemptWait);
            if (!reported) {
                LOG.warning("node " + c.node() + " did not report giving up volume " + v.name() + " within "
                        + preemptWait.toMillis() + " ms of the preemption; handing it on anyway (its grant is stale)");
            }
        }
        LOG.warning((node == null ? "released" : "moved") + " volume " + v.name() + " from node " + c.node()
                + (node == null ? "" : " to node " + node) + " (epoch " + c.epoch() + " -> " + epoch + "): " + e.reason());
        return Optional.of(next == null ? new Grant(v.id(), c.node(), epoch, r.revision(), false, c.node())
                : next.grant(r.revision(), c.node()));
    }

    /**
     * Waits the grace for a claim seen at revision {@code rev} with a dead holder; true when it is
     * still that claim, and its holder still dead, afterwards (only then may it be taken over).
     */
    private boolean deadAfterGrace(Volume v, long rev) {
        grace.await(v.id(), rev);
        Optional<Held> again = held(v.id());
        return again.isPresent() && again.get().kv().modRevision() == rev && leaseLeft(again.get()).isEmpty();
    }

    /**
     * For a remove: a claim whose holder is dead is released to nobody after the grace (fenced,
     * with an event). True when the volume has no claim afterwards; false when a live node holds it.
     */
    boolean releaseIfHolderDead(Volume v) {
        return releaseIfHolderDead(v, "the volume is being removed");
    }

    /** As {@link #releaseIfHolderDead(Volume)}, with {@code why} the release happens (for the event). */
    boolean releaseIfHolderDead(Volume v, String why) {
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            Optional<Held> held = held(v.id());
            if (held.isEmpty()) {
                return true;
            }
            if (leaseLeft(held.get()).isPresent()) {
                return false;
            }
            if (!deadAfterGrace(v, held.get().kv().modRevision())) {
                continue;
            }
            KeyValue record = store.get(StateKeys.volume(v.id())).orElseThrow(() -> gone(v));
            List<Compare> stillThere = List.of(Compare.createRevision(StateKeys.volume(v.id()), record.createRevision()));
            if (takeOver(v, held.get(), null, StateStore.NO_LEASE, false, stillThere, Event.RELEASE_DEAD,
                    "node " + held.get().claim().node() + "'s lease ended and " + why).isPresent()) {
                return true;
            }
        }
        throw new Busy("the claim on volume " + v.name() + " keeps changing", "try again");
    }

    /**
     * Checks a node's grant against the claim as stored: the claim of the grant's revision, held by
     * {@code node}. Returns the compare to put in the write's transaction; Fenced otherwise.
     */
    Compare holds(Grant g, String node, String volumeName) {
        if (!g.node().equals(node)) {
            throw new Fenced(volumeName, null, "a grant of node " + g.node() + " was sent by node " + node);
        }
        Optional<Held> held = held(g.volumeId());
        if (held.isEmpty() || held.get().kv().modRevision() != g.revision() || !held.get().claim().node().equals(node)) {
            throw stale(g, volumeName, held);
        }
        return Compare.modRevision(StateKeys.claim(g.volumeId()), g.revision());
    }

    /** The Fenced error for a grant that no longer matches the claim. */
    Fenced stale(Grant g, String volumeName, Optional<Held> now) {
        if (now.isEmpty()) {
            return new Fenced(volumeName, null, "node " + g.node() + "'s claim on volume " + volumeName + " (epoch "
                    + g.epoch() + ") was released or taken away; nobody holds it now");
        }
        Claim c = now.get().claim();
        if (c.node().equals(g.node())) {
            return new Fenced(volumeName, null, "node " + g.node() + "'s grant on volume " + volumeName
                    + " is out of date (revision " + g.revision() + ", now " + now.get().kv().modRevision()
                    + "); take the claim again");
        }
        return new Fenced(volumeName, c.node(), "volume " + volumeName + " moved from node " + g.node() + " (epoch "
                + g.epoch() + ") to node " + c.node() + " (epoch " + c.epoch() + ")");
    }

    /**
     * Releases the claim if {@code grant} still stands for it (a claim taken over or re-taken is
     * left alone) and deletes {@code alsoDelete} in the same transaction.
     */
    void release(Grant grant, String... alsoDelete) {
        List<Op> ops = new ArrayList<>(java.util.Arrays.stream(alsoDelete).<Op>map(Op.Delete::new).toList());
        Optional<Held> held = held(grant.volumeId());
        if (held.isPresent() && held.get().kv().modRevision() == grant.revision()
                && held.get().claim().node().equals(grant.node())) {
            ops.add(new Op.Delete(StateKeys.claim(grant.volumeId())));
            if (store.txn(List.of(Compare.modRevision(StateKeys.claim(grant.volumeId()), grant.revision())), ops)
                    .succeeded()) {
                return;
            }
            ops.removeLast();
        }
        if (!ops.isEmpty()) {
            store.txn(List.of(), ops); // the node's own records only
        }
    }

    /** The claims {@code node} holds, as grants by volume id (one scan of the claim keys). */
    Map<String, Grant> heldBy(String node) {
        Map<String, Grant> out = new HashMap<>();
        for (KeyValue kv : store.list(StateKeys.CLAIMS)) {
            Claim c = codec.decode(kv.value(), Claim.class);
            if (c.node().equals(node)) {
                out.put(c.volumeId(), c.grant(kv.modRevision(), null));
            }
        }
        return out;
    }

    /** The epoch and the revision it was read at, from one read (the compare must match the value). */
    private record EpochAt(long value, long revision) {
    }

    private EpochAt epochAt(String volumeId) {
        return store.get(StateKeys.epoch(volumeId))
                .map(kv -> new EpochAt(Long.parseLong(new String(kv.value(), StandardCharsets.UTF_8)), kv.modRevision()))
                .orElse(new EpochAt(0, 0));
    }

    private Op put(Claim c) {
        return new Op.Put(StateKeys.claim(c.volumeId()), codec.encode(c), StateStore.NO_LEASE);
    }

    private static Op putEpoch(String volumeId, long epoch) {
        return new Op.Put(StateKeys.epoch(volumeId), Long.toString(epoch).getBytes(StandardCharsets.UTF_8),
                StateStore.NO_LEASE);
    }

    private static NotFound gone(Volume v) {
        return new NotFound("volume " + v.name() + " was removed meanwhile", "list volumes with `berth volume ls`");
    }
}
