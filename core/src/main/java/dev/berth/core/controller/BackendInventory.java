package dev.berth.core.controller;

import dev.berth.core.error.BerthException;
import dev.berth.core.error.Unavailable;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Names;
import dev.berth.core.model.Size;
import dev.berth.core.model.Volume;
import dev.berth.core.model.VolumeSpec;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.VolumeDefaults;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StorageDriver;
import dev.berth.core.spi.StorageDriver.Stored;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * At start, on the controller, before anything is written: compares what the backends hold
 * ({@link StorageDriver#storedIds()}) with the volume records. A backend volume no record owns is
 * reported and left in place — unless the store was never written at all, which means its state
 * was lost or replaced (a wiped state directory, a 0-byte {@code state.db}): then Berth refuses to
 * start, since serving an empty store over a full pool hides every volume and invites clean-ups
 * of devices it no longer knows. {@code --adopt-pool} instead rebuilds the records from the
 * backends, with the names their metadata files kept; adoption only writes records, it never
 * attaches, formats or mounts anything.
 */
final class BackendInventory {
    private static final Logger LOG = Logger.getLogger(BackendInventory.class.getName());
    /** Names listed in the refusal before "and N more". */
    private static final int SHOWN = 5;

    private final StateStore store;
    private final VolumeCatalog catalog;
    private final ServiceRegistry services;
    private final VolumeDefaults defaults;
    private final Clock clock;

    BackendInventory(StateStore store, VolumeCatalog catalog, ServiceRegistry services, VolumeDefaults defaults,
                     Clock clock) {
        this.store = store;
        this.catalog = catalog;
        this.services = services;
        this.defaults = defaults;
        this.clock = clock;
    }

    private record Found(String service, Stored stored) {
    }

    /**
     * What must happen before anything is written: adoption, or the refusal of a never-written store
     * over a pool that holds images. A store that was written before cannot be refused, so its
     * images are not listed here (at 10,000 volumes that is most of the start-up time): see
     * {@link #report}, which the daemon runs once it serves.
     */
    List<String> check(boolean adopt, String stateLocation) {
        if (!adopt && store.revision() != 0) {
            return List.of();
        }
        Map<String, Found> unowned = unowned();
        if (unowned.isEmpty()) {
            return adopt ? List.of("adopt-pool: nothing to adopt, every volume image has a record") : List.of();
        }
        if (adopt) {
            List<String> report = new ArrayList<>();
            unowned.values().forEach(f -> report.add(adopt(f)));
            return report;
        }
        throw refusal(unowned, stateLocation);
    }

    /** One line per backend volume no record owns; they are left in place. */
    List<String> report() {
        List<String> report = new ArrayList<>();
        for (Found f : unowned().values()) {
            report.add("image " + f.stored().backendId() + " of service " + f.service() + " ("
                    + Size.format(f.stored().sizeBytes()) + ") belongs to no volume record: left in place "
                    + "(`berth serve --adopt-pool` adopts it as a volume; delete it only if its data is not needed)");
        }
        return report;
    }

    /** Backend volumes that no record or reservation owns, by backend id; one entry for a pool that two services share. */
    private Map<String, Found> unowned() {
        Set<String> owned = new HashSet<>();
        // Creates in progress own the object of their id too (it may exist before its record does).
        catalog.reservations().stream().filter(r -> services.names().contains(r.value().spec().service()))
                .forEach(r -> services.require(r.value().spec().service()).backendIdOf(r.value().volumeId())
                        .ifPresent(owned::add));
        catalog.list(null).forEach(v -> owned.add(v.backendId()));
        Map<String, Found> out = new LinkedHashMap<>();
        for (String service : services.names()) {
            StorageDriver driver = services.require(service);
            for (String id : driver.storedIds()) {
                if (owned.contains(id)) {
                    continue; // the usual case: nothing is read beyond the listing
                }
                Optional<Stored> found = driver.stored(id);
                if (found.isEmpty()) {
                    continue;
                }
                Stored s = found.get();
                Found seen = out.get(s.backendId());
                boolean named = s.spec().map(spec -> spec.service().equals(service)).orElse(false);
                if (seen == null || named) {
                    out.put(s.backendId(), new Found(service, s)); // the service its metadata names wins
                }
            }
        }
        return out;
    }

    private String adopt(Found f) {
        Stored s = f.stored();
        String service = f.service();
        String name;
        String source;
        if (s.spec().isEmpty()) {
            name = generatedName(s.volumeId());
            source = s.note() + ", so it is named after its id and its filesystem is found at the first mount";
        } else if (catalog.byName(service, s.spec().get().name()).isPresent()) {
            name = generatedName(s.volumeId());
            source = "its metadata file names it " + s.spec().get().name() + ", which is taken in service " + service;
        } else {
            name = s.spec().get().name();
            source = "from its metadata file";
        }
        FsType fs = s.spec().map(VolumeSpec::fsType).orElse(defaults.fsType());
        Volume v = new Volume(s.volumeId(), name, service, services.require(service).kind(), s.backendId(),
                s.sizeBytes(), fs, s.spec().map(VolumeSpec::labels).orElse(Map.of()),
                s.created().orElse(clock.instant()), null);
        boolean inserted;
        try {
            inserted = catalog.insert(v);
        } catch (BerthException e) {
            return "adopt-pool: could not adopt image " + s.backendId() + " of service " + service + ": " + e.fullMessage();
        }
        if (!inserted) {
            return "adopt-pool: did not adopt image " + s.backendId() + " of service " + service + ": volume id "
                    + s.volumeId() + " or name " + name + " has a record already";
        }
        String line = "adopt-pool: adopted image " + s.backendId() + " of service " + service + " as volume " + name
                + " (" + Size.format(s.sizeBytes()) + (s.spec().isPresent() ? ", " + fs : "") + "; " + source + ")";
        LOG.info(line);
        return line;
    }

    /** "recovered-" and the first 12 hex digits of the volume id: stable, so a second adoption finds the same name. */
    static String generatedName(String volumeId) {
        String hex = volumeId.replace("-", "");
        return Names.volume("recovered-" + hex.substring(0, Math.min(12, hex.length())));
    }

    private static Unavailable refusal(Map<String, Found> unowned, String stateLocation) {
        Map<String, List<String>> byService = new LinkedHashMap<>();
        unowned.values().forEach(f -> byService.computeIfAbsent(f.service(), k -> new ArrayList<>()).add(f.stored().backendId()));
        List<String> parts = new ArrayList<>();
        byService.forEach((service, ids) -> parts.add("service " + service + " holds " + ids.size() + " volume image"
                + (ids.size() == 1 ? "" : "s") + " (" + String.join(", ", ids.subList(0, Math.min(SHOWN, ids.size())))
                + (ids.size() > SHOWN ? " and " + (ids.size() - SHOWN) + " more" : "") + ")"));
        return new Unavailable("the state store " + stateLocation + " is empty, but " + String.join("; ", parts)
                + ": its state was lost or replaced (a removed or wiped state directory, an empty state.db). "
                + "Berth does not start on it: every volume would be missing and their devices unknown",
                "if the state is gone for good, start once with `berth serve --adopt-pool`: it rebuilds the volume "
                        + "records from the pool (with their names, from the images' metadata files) and never touches "
                        + "the data; if the state directory is somewhere else, point stateDir at it");
    }
}
