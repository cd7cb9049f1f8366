package dev.berth.app.daemon;

import dev.berth.core.error.BerthException;
import dev.berth.core.error.Unavailable;
import dev.berth.core.model.Volume;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.NodeInfo;
import dev.berth.core.service.ServiceInfo;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.service.VolumeView;
import dev.berth.core.service.Volumes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the Docker plugin socket serves while {@code berth serve} is still starting: the socket is
 * up (so dockerd's Plugin.Activate is answered at once, which the API does without calling this)
 * before the store is open. Every call waits until the volumes can be served ({@link #open});
 * after that, calls that name a volume whose reconcile is still pending wait for that volume alone
 * ({@link #reconciled}), so no request acts on (or reports) a volume the reconciler is still
 * bringing in line with the host. Listings never wait for the reconcile. A wait is bounded: past
 * it the call is refused with {@link Unavailable} (503), naming what is still going on.
 */
final class StartGate implements Volumes {
    private final CompletableFuture<Volumes> ready = new CompletableFuture<>();
    private final Duration wait;
    /** Volumes whose reconcile has not finished, by name (a name may exist in several services). */
    private final Map<String, List<Pending>> pending = new ConcurrentHashMap<>();

    private record Pending(Volume volume, CountDownLatch done) {
    }

    StartGate(Duration wait) {
        this.wait = wait;
    }

    /**
     * Lets calls through to {@code volumes}; those naming one of {@code pendingVolumes} keep waiting
     * until it is {@link #reconciled}. The pending set is complete before any call gets through.
     */
    void open(Volumes volumes, Collection<Volume> pendingVolumes) {
        for (Volume v : pendingVolumes) {
            pending.computeIfAbsent(v.name(), k -> new ArrayList<>()).add(new Pending(v, new CountDownLatch(1)));
        }
        ready.complete(volumes);
    }

    /** The reconcile of {@code v} is over (done, or failed and reported): calls naming it go on. */
    void reconciled(Volume v) {
        List<Pending> same = pending.get(v.name());
        if (same != null) {
            same.stream().filter(p -> p.volume().id().equals(v.id())).forEach(p -> p.done().countDown());
        }
    }

    /** The start failed: every waiting and later call is refused with {@code why}. */
    void failed(BerthException why) {
        ready.completeExceptionally(why);
        pending.values().forEach(list -> list.forEach(p -> p.done().countDown()));
    }

    private Volumes volumes() {
        long deadline = System.nanoTime() + wait.toNanos();
        try {
            return ready.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new Unavailable("Berth is still starting (opening its state store) after " + wait.toSeconds() + " s",
                    "retry in a moment; the log of `berth serve` says what it is doing");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof BerthException b) {
                throw new Unavailable("Berth did not start: " + b.getMessage(), b.hint(), b);
            }
            throw new Unavailable("Berth did not start: " + e.getCause(), "see the log of `berth serve`", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted while Berth was starting", "retry");
        }
    }

    /** The volumes, once the volume {@code ref} names (in any service, when none is named) is reconciled. */
    private Volumes volumes(VolumeRef ref) {
        long start = System.nanoTime();
        Volumes v = volumes();
        List<Pending> same = pending.get(ref.name());
        if (same == null) {
            return v;
        }
        for (Pending p : same) {
            if (ref.service() != null && !ref.service().equals(p.volume().service())) {
                continue;
            }
            try {
                long left = wait.toNanos() - (System.nanoTime() - start);
                if (!p.done().await(Math.max(0, left), TimeUnit.NANOSECONDS)) {
                    throw new Unavailable("volume " + ref + " is still being reconciled with this host after the start "
                            + "(re-adopting its mounts or cleaning up what was left half-way); other volumes are served",
                            "retry in a moment; the log of `berth serve` reports the reconcile");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Unavailable("interrupted while volume " + ref + " was being reconciled", "retry");
            }
        }
        return volumes();
    }

    @Override
    public VolumeView create(CreateVolume request) {
        return request.name() == null ? volumes().create(request)
                : volumes(new VolumeRef(request.name(), request.service())).create(request);
    }

    @Override
    public VolumeView create(CreateVolume request, dev.berth.core.spi.Progress progress) {
        return request.name() == null ? volumes().create(request, progress)
                : volumes(new VolumeRef(request.name(), request.service())).create(request, progress);
    }

    @Override
    public dev.berth.core.service.SnapshotView snapshot(dev.berth.core.service.CreateSnapshot request,
                                                        dev.berth.core.spi.Progress progress) {
        return volumes(request.volume()).snapshot(request, progress);
    }

    @Override
    public List<dev.berth.core.service.SnapshotView> snapshots(VolumeRef volume) {
        return volumes().snapshots(volume);
    }

    @Override
    public dev.berth.core.service.SnapshotView inspectSnapshot(dev.berth.core.service.SnapshotRef ref) {
        return volumes().inspectSnapshot(ref);
    }

    @Override
    public void removeSnapshot(dev.berth.core.service.SnapshotRef ref) {
        volumes().removeSnapshot(ref);
    }

    @Override
    public VolumeView expand(VolumeRef ref, String size) {
        return volumes(ref).expand(ref, size);
    }

    @Override
    public List<String> remove(VolumeRef ref, boolean force, dev.berth.core.service.SnapshotPolicy policy) {
        return volumes(ref).remove(ref, force, policy);
    }

    @Override
    public void remove(VolumeRef ref, boolean force) {
        volumes(ref).remove(ref, force);
    }

    @Override
    public VolumeView inspect(VolumeRef ref) {
        return volumes(ref).inspect(ref);
    }

    @Override
    public List<VolumeView> list(String service) {
        return volumes().list(service);
    }

    @Override
    public VolumeView attach(VolumeRef ref, boolean preempt) {
        return volumes(ref).attach(ref, preempt);
    }

    @Override
    public VolumeView detach(VolumeRef ref, boolean force) {
        return volumes(ref).detach(ref, force);
    }

    @Override
    public String mount(VolumeRef ref, String mountRef, boolean preempt) {
        return volumes(ref).mount(ref, mountRef, preempt);
    }

    @Override
    public void unmount(VolumeRef ref, String mountRef) {
        volumes(ref).unmount(ref, mountRef);
    }

    @Override
    public Optional<String> path(VolumeRef ref) {
        return volumes(ref).path(ref);
    }

    @Override
    public List<ServiceInfo> services() {
        return volumes().services();
    }

    @Override
    public List<NodeInfo> nodes() {
        return volumes().nodes();
    }

    @Override
    public List<dev.berth.core.model.Event> events(VolumeRef ref, int limit) {
        return volumes().events(ref, limit);
    }
}
