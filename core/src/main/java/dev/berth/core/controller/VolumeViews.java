package dev.berth.core.controller;

import dev.berth.core.model.Attachment;
import dev.berth.core.model.Claim;
import dev.berth.core.model.Size;
import dev.berth.core.model.Volume;
import dev.berth.core.service.MountLayout;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.StateKeys;
import dev.berth.core.service.VolumeView;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.StateStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds what users see of volumes from the store alone (no host tool runs), so inspect and list
 * stay fast. A list reads each key family once instead of once per volume.
 */
final class VolumeViews {
    private final StateStore store;
    private final Codec codec;
    private final ServiceRegistry services;

    private final EventLog events;

    VolumeViews(StateStore store, Codec codec, ServiceRegistry services, EventLog events) {
        this.events = events;
        this.store = store;
        this.codec = codec;
        this.services = services;
    }

    VolumeView of(Volume v, boolean withDetails) {
        Claim claim = store.get(StateKeys.claim(v.id())).map(kv -> codec.decode(kv.value(), Claim.class)).orElse(null);
        Attachment att = null;
        List<String> refs = List.of();
        if (claim != null) {
            att = store.get(StateKeys.attachment(claim.node(), v.id()))
                    .map(kv -> codec.decode(kv.value(), Attachment.class)).orElse(null);
            refs = store.list(StateKeys.mountsOf(claim.node(), v.id())).stream()
                    .map(kv -> StateKeys.refOf(kv.key())).toList();
        }
        long epoch = store.get(StateKeys.epoch(v.id()))
                .map(kv -> Long.parseLong(new String(kv.value(), StandardCharsets.UTF_8))).orElse(0L);
        Map<String, String> details = withDetails ? services.require(v.service()).describe(v.backendId()) : Map.of();
        if (withDetails && v.origin() != null) {
            details = new java.util.LinkedHashMap<>(details);
            details.put("origin", v.origin()); // snapshot:<id> or volume:<id>
        }
        // Inspect shows the volume's last takeovers and self-fencing (a listing does not: one scan each).
        List<dev.berth.core.model.Event> events = withDetails ? this.events.list(v.id(), 10) : List.of();
        return build(v, claim, att, refs, epoch, details, store.get(StateKeys.removing(v.id())).isPresent(), events);
    }

    List<VolumeView> all(List<Volume> volumes) {
        Map<String, Claim> claims = new HashMap<>();
        for (var kv : store.list(StateKeys.CLAIMS)) {
            Claim c = codec.decode(kv.value(), Claim.class);
            claims.put(c.volumeId(), c);
        }
        Map<String, Attachment> atts = new HashMap<>();
        for (var kv : store.list(StateKeys.ATTACHMENTS)) {
            Attachment a = codec.decode(kv.value(), Attachment.class);
            Claim c = claims.get(a.volumeId());
            if (c != null && kv.key().equals(StateKeys.attachment(c.node(), a.volumeId()))) {
                atts.put(a.volumeId(), a);
            }
        }
        Map<String, List<String>> refs = new HashMap<>();
        for (var kv : store.list(StateKeys.MOUNTS)) {
            String rest = kv.key().substring(StateKeys.MOUNTS.length());
            String node = rest.substring(0, rest.indexOf('/'));
            String id = StateKeys.volumeIdOf(kv.key(), StateKeys.mountsOf(node));
            Claim c = claims.get(id);
            if (c != null && c.node().equals(node)) {
                refs.computeIfAbsent(id, k -> new ArrayList<>()).add(StateKeys.refOf(kv.key()));
            }
        }
        Map<String, Long> epochs = new HashMap<>();
        for (var kv : store.list(StateKeys.EPOCHS)) {
            epochs.put(kv.key().substring(StateKeys.EPOCHS.length()),
                    Long.parseLong(new String(kv.value(), StandardCharsets.UTF_8)));
        }
        java.util.Set<String> removing = new java.util.HashSet<>();
        for (var kv : store.list(StateKeys.REMOVING)) {
            removing.add(kv.key().substring(StateKeys.REMOVING.length()));
        }
        List<VolumeView> out = new ArrayList<>(volumes.size());
        for (Volume v : volumes) {
            out.add(build(v, claims.get(v.id()), atts.get(v.id()), refs.getOrDefault(v.id(), List.of()),
                    epochs.getOrDefault(v.id(), 0L), Map.of(), removing.contains(v.id()), List.of()));
        }
        return out;
    }

    private static VolumeView build(Volume v, Claim claim, Attachment att, List<String> refs, long epoch,
                                    Map<String, String> details, boolean removing, List<dev.berth.core.model.Event> events) {
        // A volume whose remove was cut off after its mark can no longer be claimed: say so.
        String status = removing ? "removing" : claim == null ? "available"
                : (att != null && att.mountPoint() != null ? "mounted" : "attached");
        String mountPoint = att == null ? null : att.mountPoint();
        String containerPath = mountPoint == null ? null : MountLayout.containerPath(Path.of(mountPoint)).toString();
        return new VolumeView(v.id(), v.name(), v.service(), v.driver(), v.sizeBytes(), Size.format(v.sizeBytes()),
                v.fsType().id(), v.labels(), v.created(), status, claim == null ? null : claim.node(), epoch,
                att == null ? null : att.device(), mountPoint, containerPath, refs, details, events);
    }
}
