package dev.berth.core.controller;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.OutOfCapacity;
import dev.berth.core.model.Capacity;
import dev.berth.core.model.Size;
import dev.berth.core.model.Volume;
import dev.berth.core.model.VolumeSpec;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.spi.StorageDriver;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
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
 * <p>Sizes are summed from the controller's records on every create, so the count is right after
 * a restart. Concurrent creates of one service see each other: each reserves its size (under one
 * lock per service) from the check until its create is over, so two cannot both take the last
 * free space. Once its record is written a reservation is not counted again (names are unique in
 * a service, and a name is reserved only by the create that writes its record).
 */
final class CapacityCheck {
    private static final Logger LOG = Logger.getLogger(CapacityCheck.class.getName());
    private final ServiceRegistry services;
    private final Function<String, List<Volume>> volumesOf;
    /**
     * Per service (a fixed set, so this map never grows): the sizes of its creates in progress by
     * volume name; also the lock of that service's check.
     */
    private final Map<String, Map<String, Long>> pending = new HashMap<>();

    /** @param volumesOf the records of one service (any order) */
    CapacityCheck(ServiceRegistry services, Function<String, List<Volume>> volumesOf) {
        this.services = services;
        this.volumesOf = volumesOf;
        for (String service : services.names()) {
            pending.put(service, new HashMap<>());
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
     * Reserves {@code spec}'s size for a create in progress, or refuses it with OutOfCapacity. The
     * caller holds the per-name create lock and calls {@link #release} when the create is over
     * (whether it succeeded or not). Drivers that do not count sizes (dir) pass at once.
     */
    void reserve(StorageDriver driver, VolumeSpec spec) {
        OptionalDouble ratio = driver.overcommit();
        if (ratio.isEmpty()) {
            return;
        }
        String service = spec.service();
        Map<String, Long> inFlight = pending.get(service);
        synchronized (inFlight) {
            List<Volume> volumes = volumesOf.apply(service);
            long committed = add(committedBytes(volumes), unrecorded(inFlight, volumes));
            long wanted = add(committed, spec.sizeBytes());
            Capacity cap = driver.capacity();
            // Free space alone is usually enough: only a tight pool pays for asking what the
            // volumes occupy (one host tool run for all of them).
            if (!fits(wanted, new Usage(committed, cap.available(), cap.total(), 0, ratio.getAsDouble()))) {
                Usage u = new Usage(committed, cap.available(), cap.total(), allocated(driver, volumes),
                        ratio.getAsDouble());
                if (!fits(wanted, u)) {
                    throw refusal(service, spec, u);
                }
            }
            inFlight.put(spec.name(), spec.sizeBytes());
        }
    }

    /** A sum that saturated (8 EiB) never fits, even against a limit that saturated too. */
    private static boolean fits(long wanted, Usage u) {
        return wanted != Long.MAX_VALUE && wanted <= u.limitBytes();
    }

    /** Drops the reservation of a create that is over; one that reserved nothing is fine. */
    void release(VolumeSpec spec) {
        Map<String, Long> inFlight = pending.get(spec.service());
        if (inFlight != null) {
            synchronized (inFlight) {
                inFlight.remove(spec.name());
            }
        }
    }

    /** The service's numbers, or null when its driver does not count sizes. */
    Usage usage(String service) {
        StorageDriver driver = services.require(service);
        OptionalDouble ratio = driver.overcommit();
        if (ratio.isEmpty()) {
            return null;
        }
        List<Volume> volumes = volumesOf.apply(service);
        long reserved;
        Map<String, Long> inFlight = pending.get(service);
        synchronized (inFlight) {
            reserved = unrecorded(inFlight, volumes);
        }
        Capacity cap = driver.capacity();
        return new Usage(add(committedBytes(volumes), reserved), cap.available(), cap.total(),
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

    /** Sizes reserved by creates whose record is not among {@code volumes} yet. */
    private static long unrecorded(Map<String, Long> inFlight, List<Volume> volumes) {
        if (inFlight.isEmpty()) {
            return 0;
        }
        Set<String> recorded = new HashSet<>(volumes.size() * 2);
        volumes.forEach(v -> recorded.add(v.name()));
        long sum = 0;
        for (Map.Entry<String, Long> e : inFlight.entrySet()) {
            if (!recorded.contains(e.getKey())) {
                sum = add(sum, e.getValue());
            }
        }
        return sum;
    }

    /** Saturating: sizes up to 8 EiB each cannot wrap around into "fits". */
    private static long add(long a, long b) {
        long r = a + b;
        return r < 0 ? Long.MAX_VALUE : r;
    }
}
