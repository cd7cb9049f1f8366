package dev.berth.core.controller;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.Busy;
import dev.berth.core.error.OutOfCapacity;
import dev.berth.core.model.Capacity;
import dev.berth.core.model.Size;
import dev.berth.core.model.Volume;
import dev.berth.core.model.VolumeSpec;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.StateKeys;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StateStore.Compare;
import dev.berth.core.spi.StateStore.Op;
import dev.berth.core.spi.StorageDriver;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Refuses a create that would promise more space than the pool has. The rule, per service whose
 * driver enforces sizes (loop): the full sizes of all its volumes plus the new one must not exceed
 * {@code overcommit × (free space of the pool's filesystem + space its volumes already occupy)}.
 *
 * <p>With {@code overcommit} 1.0 this is exact: every volume may still grow by its size minus what
 * it occupies, and the sum of that must fit in the free space. Sparse files cannot fool it: sizes
 * are counted in full, occupied space by allocated blocks. A ratio above 1 is a thin pool, where
 * filling the volumes can run the pool out of space (and damage every filesystem in it).
 *
 * <p>Sizes are summed from the store on every create: the records and the reservations of creates
 * in progress (see {@link dev.berth.core.model.Reservation}), so the count is the same on every
 * controller and right after a restart. Two creates of one service cannot both take the last free
 * space, even on two controllers: the reservation's transaction compares and bumps the service's
 * guard key {@code capacity/<service>} as it was read before the sum, so the second one reads again.
 * The JVM lock per service only saves such retries within one controller.
 */
final class CapacityCheck {
    private static final Logger LOG = Logger.getLogger(CapacityCheck.class.getName());
    private static final int MAX_RETRIES = 16;
    private final StateStore store;
    private final ServiceRegistry services;
    private final Function<String, List<Volume>> volumesOf;
    private final Function<String, List<VolumeSpec>> reservedOf;
    /** Per service (a fixed set, so this map never grows): the lock of that service's check. */
    private final Map<String, Object> locks = new HashMap<>();

    /**
     * @param volumesOf  the records of one service (any order)
     * @param reservedOf the specs of the creates in progress in one service (reservations)
     */
    CapacityCheck(StateStore store, ServiceRegistry services, Function<String, List<Volume>> volumesOf,
                  Function<String, List<VolumeSpec>> reservedOf) {
        this.store = store;
        this.services = services;
        this.volumesOf = volumesOf;
        this.reservedOf = reservedOf;
        for (String service : services.names()) {
            locks.put(service, new Object());
        }
    }

    /** The numbers behind the rule for one service, as {@code service ls} shows them. */
    record Usage(long committedBytes, long freeBytes, long totalBytes, long allocatedBytes, double overcommit) {
        /** What the full sizes may add up to. */
        long limitBytes() {
            double limit = overcommit * ((double) freeBytes + allocatedBytes);
            return limit >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) limit;
        }

        /** The largest volume a create would accept now. */
        long headroomBytes() {
            return Math.max(0, limitBytes() - committedBytes);
        }
    }

    /**
     * Runs {@code reserve} (the transaction that stores the create's reservation) if {@code spec}
     * fits, or refuses it with OutOfCapacity; {@code reserve} gets the compare and put of the
     * service's guard key to add, and answers empty when its transaction failed. Returns what
     * {@code reserve} returned: empty when the name was taken meanwhile (the caller reads again).
     * Drivers that do not count sizes (dir) run {@code reserve} at once, with no guard.
     */
    <T> Optional<T> reserve(StorageDriver driver, VolumeSpec spec, BiFunction<List<Compare>, List<Op>, Optional<T>> reserve) {
        OptionalDouble ratio = driver.overcommit();
        if (ratio.isEmpty()) {
            return reserve.apply(List.of(), List.of());
        }
        String service = spec.service();
        String guard = StateKeys.capacity(service);
        synchronized (locks.get(service)) {
            for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
                long guardRevision = store.get(guard).map(StateStore.KeyValue::modRevision).orElse(0L);
                long committed = committed(service);
                long wanted = add(committed, spec.sizeBytes());
                Capacity cap = driver.capacity();
                // Free space alone is usually enough: only a tight pool pays for asking what the
                // volumes occupy (one host tool run for all of them).
                if (!fits(wanted, new Usage(committed, cap.available(), cap.total(), 0, ratio.getAsDouble()))) {
                    Usage u = new Usage(committed, cap.available(), cap.total(), allocated(driver, volumesOf.apply(service)),
                            ratio.getAsDouble());
                    if (!fits(wanted, u)) {
                        throw refusal(service, spec, u);
                    }
                }
                Optional<T> done = reserve.apply(List.of(Compare.modRevision(guard, guardRevision)),
                        List.of(new Op.Put(guard, spec.name().getBytes(StandardCharsets.UTF_8), StateStore.NO_LEASE)));
                if (done.isPresent() || store.get(guard).map(StateStore.KeyValue::modRevision).orElse(0L) == guardRevision) {
                    return done; // reserved, or the name was taken (not the guard): the caller reads again
                }
            }
        }
        throw new Busy("creates in service " + service + " keep racing for its space", "try again");
    }

    /**
     * Full sizes of the service's records and reservations. The reservations are read first: one
     * completed between the two reads is then counted twice (stricter), never not at all.
     */
    private long committed(String service) {
        List<VolumeSpec> reserved = reservedOf.apply(service);
        List<Volume> volumes = volumesOf.apply(service);
        Set<String> recorded = new HashSet<>(volumes.size() * 2);
        volumes.forEach(v -> recorded.add(v.name()));
        long sum = committedBytes(volumes);
        for (VolumeSpec r : reserved) {
            if (!recorded.contains(r.name())) {
                sum = add(sum, r.sizeBytes());
            }
        }
        return sum;
    }

    /** A sum that saturated (8 EiB) never fits, even against a limit that saturated too. */
    private static boolean fits(long wanted, Usage u) {
        return wanted != Long.MAX_VALUE && wanted <= u.limitBytes();
    }

    /** The service's numbers, or null when its driver does not count sizes. */
    Usage usage(String service) {
        StorageDriver driver = services.require(service);
        OptionalDouble ratio = driver.overcommit();
        if (ratio.isEmpty()) {
            return null;
        }
        long committed = committed(service);
        List<Volume> volumes = volumesOf.apply(service);
        Capacity cap = driver.capacity();
        return new Usage(committed, cap.available(), cap.total(),
                allocated(driver, volumes), ratio.getAsDouble());
    }

    private static OutOfCapacity refusal(String service, VolumeSpec spec, Usage u) {
        String limit = u.overcommit() == 1.0 ? "" : " × overcommit " + ratio(u.overcommit());
        String committed = u.committedBytes() == 0 ? ""
                : " next to its volumes' " + Size.human(u.committedBytes()) + " (full sizes)";
        return new OutOfCapacity("a " + Size.human(spec.sizeBytes()) + " volume does not fit in service " + service
                + committed + ": the pool can hold " + Size.human(u.limitBytes()) + " (" + Size.human(u.freeBytes())
                + " free + " + Size.human(u.allocatedBytes()) + " its volumes occupy" + limit + ")",
                u.headroomBytes() >= Size.MIN_BYTES
                        ? "ask for at most " + Size.format(u.headroomBytes() >> 20 << 20) + ", remove volumes, or give the"
                        + " pool more space (`berth service ls` shows what is committed)"
                        : "remove volumes or give the pool's filesystem more space (`berth service ls` shows what is"
                        + " committed); the service option overcommit allows a thin pool, at the risk of losing data"
                        + " when it fills up");
    }

    static String ratio(double r) {
        return String.format(Locale.ROOT, "%.2f", r).replaceAll("0$", "");
    }

    private static long allocated(StorageDriver driver, List<Volume> volumes) {
        try {
            return driver.allocatedBytes(volumes.stream().map(Volume::backendId).toList());
        } catch (BackendFailure e) {
            // Counting nothing as occupied only makes the check stricter, never wrong the other way.
            LOG.warning("cannot tell how much space the volumes occupy (" + e.getMessage() + "); counting none");
            return 0;
        }
    }

    private static long committedBytes(List<Volume> volumes) {
        long sum = 0;
        for (Volume v : volumes) {
            sum = add(sum, v.sizeBytes());
        }
        return sum;
    }

    /** Saturating: sizes up to 8 EiB each cannot wrap around into "fits". */
    private static long add(long a, long b) {
        long r = a + b;
        return r < 0 ? Long.MAX_VALUE : r;
    }
}
