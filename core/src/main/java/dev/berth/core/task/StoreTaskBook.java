package dev.berth.core.task;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.Unavailable;
import dev.berth.core.service.StateKeys;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StateStore.Compare;
import dev.berth.core.spi.StateStore.KeyValue;
import dev.berth.core.spi.StateStore.Op;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Tasks in the state store, under {@code tasks/<id>}, so every controller sharing the store answers
 * for every task and a controller restart or hand-off loses no status. A task is written twice by
 * the controller running it (started, finished), each time with a compare on the revision it last
 * wrote, so nobody's later write is lost.
 *
 * <p>A running task whose owner's {@code controllers/<id>} key is gone (the controller died or lost
 * its lease) can never be finished by anyone: the first controller that reads it records it as
 * failed, with a message that says so and that the change is safe to run again. Controller ids are
 * fresh per process start, so a restarted controller does not adopt what its previous life ran.
 *
 * <p>Finished tasks are hidden once older than {@code keep} and deleted by {@link #purge}, which
 * one controller runs as a leader job: reads stay one key, and nobody scans on the request path.
 */
public final class StoreTaskBook implements TaskBook {
    private static final Logger LOG = Logger.getLogger(StoreTaskBook.class.getName());
    private static final Duration RETRY_PAUSE = Duration.ofSeconds(1);
    private final StateStore store;
    private final Codec codec;
    private final String owner;
    private final Duration keep;
    private final Clock clock;
    private final Function<BerthException, Outcome> render;
    private final Duration retryFor;
    private final Map<String, Own> mine = new ConcurrentHashMap<>();

    private record Own(TaskRecord record, long revision) {
    }

    /**
     * @param owner    this controller's id (its {@code controllers/<id>} key)
     * @param render   how the protocol layer writes an error (used for tasks whose owner died)
     * @param retryFor how long to keep trying to record an outcome while the store is unreachable
     */
    public StoreTaskBook(StateStore store, Codec codec, String owner, Duration keep, Clock clock,
                         Function<BerthException, Outcome> render, Duration retryFor) {
        if (keep.isNegative() || retryFor.isNegative()) {
            throw new IllegalArgumentException("negative duration");
        }
        this.store = store;
        this.codec = codec;
        this.owner = owner;
        this.keep = keep;
        this.clock = clock;
        this.render = render;
        this.retryFor = retryFor;
    }

    public Duration keep() {
        return keep;
    }

    @Override
    public String start(String operation) {
        String id = UUID.randomUUID().toString();
        String key = StateKeys.task(id);
        TaskRecord record = TaskRecord.running(id, owner, operation, clock.instant());
        StateStore.TxnResult r = store.txn(List.of(Compare.absent(key)),
                List.of(new Op.Put(key, codec.encode(record), StateStore.NO_LEASE)));
        if (!r.succeeded()) {
            throw new BackendFailure("task id " + id + " is taken", "this is a bug in Berth; please report it");
        }
        mine.put(id, new Own(record, r.revision()));
        return id;
    }

    @Override
    public void succeeded(String id, Outcome result) {
        finish(id, r -> r.succeeded(result, clock.instant()));
    }

    @Override
    public void failed(String id, Outcome error) {
        finish(id, r -> r.failed(error, clock.instant()));
    }

    /**
     * One write, compared on this controller's last revision like the finish; a store that cannot
     * be reached or a record taken over (reported abandoned) only costs this update, never the task.
     */
    @Override
    public void progress(String id, TaskRecord.Progress progress) {
        // Inside the map's compute: a finish (which removes the entry first) waits for this write
        // and then compares on the revision it made, so the two never race.
        mine.computeIfPresent(id, (k, own) -> {
            TaskRecord next = own.record().progressed(progress);
            try {
                StateStore.TxnResult r = store.txn(List.of(Compare.modRevision(StateKeys.task(id), own.revision())),
                        List.of(new Op.Put(StateKeys.task(id), codec.encode(next), StateStore.NO_LEASE)));
                return r.succeeded() ? new Own(next, r.revision()) : own;
            } catch (BerthException e) {
                LOG.fine("progress of task " + id + " not recorded: " + e.getMessage());
                return own;
            }
        });
    }

    private void finish(String id, Function<TaskRecord, TaskRecord> end) {
        Own own = mine.remove(id);
        if (own == null) {
            LOG.warning("task " + id + " finished but was not started by this controller; its outcome is dropped");
            return;
        }
        TaskRecord done = end.apply(own.record());
        String key = StateKeys.task(id);
        long deadline = System.nanoTime() + retryFor.toNanos();
        while (true) {
            try {
                boolean written = store.txn(List.of(Compare.modRevision(key, own.revision())),
                        List.of(new Op.Put(key, codec.encode(done), StateStore.NO_LEASE))).succeeded();
                if (!written) {
                    LOG.warning("task " + id + " (" + done.operation() + ") ended " + done.state() + " on controller "
                            + owner + ", but another controller had reported it failed already (this controller's "
                            + "registration was gone meanwhile); the task stays failed");
                }
                return;
            } catch (BerthException e) {
                if (System.nanoTime() - deadline >= 0) {
                    LOG.warning("cannot record that task " + id + " (" + done.operation() + ") ended " + done.state()
                            + "; once this controller's lease ends it is reported as abandoned: " + e.fullMessage());
                    return;
                }
                try {
                    Thread.sleep(RETRY_PAUSE);
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public Optional<TaskRecord> get(String id) {
        if (!TaskBook.validId(id)) {
            return Optional.empty();
        }
        Optional<KeyValue> kv = store.get(StateKeys.task(id));
        if (kv.isEmpty()) {
            return Optional.empty();
        }
        TaskRecord record = codec.decode(kv.get().value(), TaskRecord.class);
        if (!record.running()) {
            return expired(record, clock.instant().minus(keep)) ? Optional.empty() : Optional.of(record);
        }
        if (store.get(StateKeys.controller(record.owner())).isPresent()) {
            return Optional.of(record);
        }
        return Optional.of(abandon(kv.get(), record));
    }

    /**
     * Deletes the tasks that finished longer than {@code keep} ago and records as failed the running
     * ones whose controller is gone (so they, too, are deleted in time). Returns how many were deleted.
     */
    public int purge() {
        Instant horizon = clock.instant().minus(keep);
        Set<String> alive = new HashSet<>();
        for (KeyValue c : store.list(StateKeys.CONTROLLERS)) {
            alive.add(c.key().substring(StateKeys.CONTROLLERS.length()));
        }
        int deleted = 0;
        for (KeyValue kv : store.list(StateKeys.TASKS)) {
            TaskRecord record;
            try {
                record = codec.decode(kv.value(), TaskRecord.class);
            } catch (BackendFailure unreadable) {
                LOG.warning("task record " + kv.key() + " cannot be read; left alone: " + unreadable.getMessage());
                continue;
            }
            if (record.running()) {
                if (!alive.contains(record.owner())) {
                    abandon(kv, record);
                }
            } else if (expired(record, horizon) && store.compareAndDelete(kv.key(), kv.modRevision())) {
                deleted++;
            }
        }
        return deleted;
    }

    private static boolean expired(TaskRecord finished, Instant horizon) {
        return finished.finished().isBefore(horizon);
    }

    /** Records a running task of a vanished controller as failed (first writer wins) and returns what is stored. */
    private TaskRecord abandon(KeyValue kv, TaskRecord running) {
        TaskRecord failed = running.failed(render.apply(abandoned(running)), clock.instant());
        try {
            if (store.txn(List.of(Compare.modRevision(kv.key(), kv.modRevision())),
                    List.of(new Op.Put(kv.key(), codec.encode(failed), StateStore.NO_LEASE))).succeeded()) {
                LOG.info("task " + running.id() + " (" + running.operation() + ") of vanished controller "
                        + running.owner() + " recorded as failed");
                return failed;
            }
        } catch (BerthException e) {
            return failed; // the owner is gone either way; saying so does not need the write
        }
        return store.get(kv.key()).map(now -> codec.decode(now.value(), TaskRecord.class)).orElse(failed);
    }

    static Unavailable abandoned(TaskRecord t) {
        return new Unavailable("controller " + (t.owner().isEmpty() ? "?" : t.owner()) + " stopped while it ran this "
                + t.operation() + " (task started " + t.started() + "), so how it ended is not known",
                "the change is safe to run again: repeat the same call, then check the volume "
                        + "(e.g. `berth volume inspect`)");
    }
}
