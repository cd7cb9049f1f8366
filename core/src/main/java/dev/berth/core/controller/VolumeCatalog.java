package dev.berth.core.controller;

import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.model.Volume;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.StateKeys;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StateStore.Compare;
import dev.berth.core.spi.StateStore.Op;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Volume records and the name index, kept consistent with each other by transactions. */
final class VolumeCatalog {
    private final StateStore store;
    private final Codec codec;
    private final ServiceRegistry services;

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
        return store.get(StateKeys.volume(id)).map(kv -> codec.decode(kv.value(), Volume.class));
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

    private static NotFound notFound(VolumeRef ref) {
        return new NotFound("no such volume: " + ref, "list volumes with `berth volume ls`");
    }

    /** Adds the record and its name entry atomically; false if the name was taken meanwhile. */
    boolean insert(Volume v) {
        return store.txn(
                List.of(new Compare(StateKeys.name(v.service(), v.name()), 0), new Compare(StateKeys.volume(v.id()), 0)),
                List.of(new Op.Put(StateKeys.volume(v.id()), codec.encode(v), StateStore.NO_LEASE),
                        new Op.Put(StateKeys.name(v.service(), v.name()), v.id().getBytes(StandardCharsets.UTF_8),
                                StateStore.NO_LEASE))).succeeded();
    }

    void delete(Volume v) {
        store.txn(List.of(), List.of(new Op.Delete(StateKeys.volume(v.id())),
                new Op.Delete(StateKeys.name(v.service(), v.name())),
                new Op.Delete(StateKeys.epoch(v.id()))));
    }

    /** Volumes of one service (or all when null), by name. */
    List<Volume> list(String service) {
        if (service != null) {
            services.require(service);
        }
        List<Volume> out = new ArrayList<>();
        for (var kv : store.list(StateKeys.VOLUMES)) {
            Volume v = codec.decode(kv.value(), Volume.class);
            if (service == null || service.equals(v.service())) {
                out.add(v);
            }
        }
        out.sort(Comparator.comparing(Volume::name).thenComparing(Volume::service));
        return out;
    }

    static AlreadyExists conflict(Volume existing, String what) {
        return new AlreadyExists("volume " + existing.name() + " already exists in service " + existing.service()
                + " with a different " + what, "choose another name, or remove the existing volume first");
    }
}
