package dev.berth.core.controller;

import dev.berth.core.model.Attachment;
import dev.berth.core.model.MountRef;
import dev.berth.core.model.MountRefs;
import dev.berth.core.model.Volume;
import dev.berth.core.service.StateKeys;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.StateStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Per-node attachments and mount references in the state store. */
final class NodeBook {
    /** Present once mount references are namespaced (see {@link #namespaceLegacyDockerRefs}). */
    static final String REF_NAMESPACES = "meta/mount-ref-namespaces";
    private final StateStore store;
    private final Codec codec;
    private final Clock clock;

    NodeBook(StateStore store, Codec codec, Clock clock) {
        this.store = store;
        this.codec = codec;
        this.clock = clock;
    }

    Optional<Attachment> attachment(String node, String volumeId) {
        return store.get(StateKeys.attachment(node, volumeId)).map(kv -> codec.decode(kv.value(), Attachment.class));
    }

    /** Writes the attachment if {@code grant} (the holder's claim compare) still holds; false otherwise. */
    boolean putAttachment(String node, Attachment a, StateStore.Compare grant) {
        return store.txn(List.of(grant), List.of(new StateStore.Op.Put(StateKeys.attachment(node, a.volumeId()),
                codec.encode(a), StateStore.NO_LEASE))).succeeded();
    }

    void deleteAttachment(String node, String volumeId) {
        store.delete(StateKeys.attachment(node, volumeId));
    }

    Map<String, Attachment> attachments(String node) {
        Map<String, Attachment> out = new HashMap<>();
        for (var kv : store.list(StateKeys.attachmentsOf(node))) {
            Attachment a = codec.decode(kv.value(), Attachment.class);
            out.put(a.volumeId(), a);
        }
        return out;
    }

    List<String> refs(String node, String volumeId) {
        return store.list(StateKeys.mountsOf(node, volumeId)).stream().map(kv -> StateKeys.refOf(kv.key())).toList();
    }

    Map<String, List<String>> allRefs(String node) {
        Map<String, List<String>> out = new HashMap<>();
        String prefix = StateKeys.mountsOf(node);
        for (var kv : store.list(prefix)) {
            out.computeIfAbsent(StateKeys.volumeIdOf(kv.key(), prefix), k -> new ArrayList<>())
                    .add(StateKeys.refOf(kv.key()));
        }
        return out;
    }

    /** Mount references of a volume on every node, by node. */
    Map<String, List<String>> refsEverywhere(String volumeId) {
        Map<String, List<String>> out = new HashMap<>();
        for (var kv : store.list(StateKeys.MOUNTS)) {
            String rest = kv.key().substring(StateKeys.MOUNTS.length());
            int slash = rest.indexOf('/');
            String node = rest.substring(0, slash);
            if (StateKeys.volumeIdOf(kv.key(), StateKeys.mountsOf(node)).equals(volumeId)) {
                out.computeIfAbsent(node, k -> new ArrayList<>()).add(StateKeys.refOf(kv.key()));
            }
        }
        return out;
    }

    /** Adds a mount reference if {@code grant} still holds; false otherwise. */
    boolean addRef(String node, String volumeId, String ref, StateStore.Compare grant) {
        return store.txn(List.of(grant), List.of(new StateStore.Op.Put(StateKeys.mount(node, volumeId, ref),
                codec.encode(new MountRef(volumeId, node, ref, clock.instant())), StateStore.NO_LEASE))).succeeded();
    }

    /**
     * Writes what a completed mount established in one transaction: the attachment, the first
     * mount reference and, when it changed, the volume's recorded filesystem; only while the grant holds.
     */
    boolean recordMount(String node, Attachment a, String ref, Volume updated, StateStore.Compare grant) {
        List<StateStore.Op> ops = new ArrayList<>(List.of(
                new StateStore.Op.Put(StateKeys.attachment(node, a.volumeId()), codec.encode(a), StateStore.NO_LEASE),
                new StateStore.Op.Put(StateKeys.mount(node, a.volumeId(), ref),
                        codec.encode(new MountRef(a.volumeId(), node, ref, clock.instant())), StateStore.NO_LEASE)));
        if (updated != null) {
            ops.add(new StateStore.Op.Put(StateKeys.volume(updated.id()), codec.encode(updated), StateStore.NO_LEASE));
        }
        return store.txn(List.of(grant), ops).succeeded();
    }

    /**
     * Once per store: Berth before reference namespaces stored Docker's mount IDs bare, so a CLI
     * caller's "cli" and Docker's IDs shared one space. Every bare 64-hex reference (what dockerd
     * sends) then is Docker's and becomes {@code docker:<ID>}, keeping its time; a marker key makes
     * this run once, so a REST caller's own 64-hex reference written later is left alone. Returns
     * how many references moved.
     */
    int namespaceLegacyDockerRefs() {
        if (store.get(REF_NAMESPACES).isPresent()) {
            return 0;
        }
        List<StateStore.Op> ops = new ArrayList<>();
        for (var kv : store.list(StateKeys.MOUNTS)) {
            String ref = StateKeys.refOf(kv.key());
            if (MountRefs.isLegacyDocker(ref)) {
                MountRef old = codec.decode(kv.value(), MountRef.class);
                String moved = MountRefs.docker(ref);
                ops.add(new StateStore.Op.Delete(kv.key()));
                ops.add(new StateStore.Op.Put(StateKeys.mount(old.node(), old.volumeId(), moved),
                        codec.encode(new MountRef(old.volumeId(), old.node(), moved, old.since())), StateStore.NO_LEASE));
            }
        }
        int moved = ops.size() / 2;
        ops.add(new StateStore.Op.Put(REF_NAMESPACES, "1".getBytes(StandardCharsets.US_ASCII), StateStore.NO_LEASE));
        store.txn(List.of(), ops);
        return moved;
    }

    void removeRef(String node, String volumeId, String ref) {
        store.delete(StateKeys.mount(node, volumeId, ref));
    }

    void removeAllRefs(String node, String volumeId) {
        var ops = store.list(StateKeys.mountsOf(node, volumeId)).stream()
                .<StateStore.Op>map(kv -> new StateStore.Op.Delete(kv.key())).toList();
        if (!ops.isEmpty()) {
            store.txn(List.of(), ops);
        }
    }
}
