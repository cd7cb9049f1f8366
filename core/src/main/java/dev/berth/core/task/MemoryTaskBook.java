package dev.berth.core.task;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tasks in this process's memory: for a server without a state store (an agent's local socket),
 * whose tasks end with the process anyway. Finished tasks are forgotten after {@code keep},
 * checked whenever a task starts.
 */
public final class MemoryTaskBook implements TaskBook {
    private final Duration keep;
    private final Clock clock;
    private final Map<String, TaskRecord> tasks = new ConcurrentHashMap<>();

    public MemoryTaskBook(Duration keep, Clock clock) {
        if (keep.isNegative()) {
            throw new IllegalArgumentException("negative keep: " + keep);
        }
        this.keep = keep;
        this.clock = clock;
    }

    @Override
    public String start(String operation) {
        purge();
        String id = UUID.randomUUID().toString();
        tasks.put(id, TaskRecord.running(id, "", operation, clock.instant()));
        return id;
    }

    @Override
    public void succeeded(String id, Outcome result) {
        tasks.computeIfPresent(id, (k, t) -> t.running() ? t.succeeded(result, clock.instant()) : t);
    }

    @Override
    public void failed(String id, Outcome error) {
        tasks.computeIfPresent(id, (k, t) -> t.running() ? t.failed(error, clock.instant()) : t);
    }

    @Override
    public void progress(String id, TaskRecord.Progress progress) {
        tasks.computeIfPresent(id, (k, t) -> t.running() ? t.progressed(progress) : t);
    }

    @Override
    public Optional<TaskRecord> get(String id) {
        return Optional.ofNullable(id == null ? null : tasks.get(id));
    }

    private void purge() {
        Instant horizon = clock.instant().minus(keep);
        tasks.values().removeIf(t -> t.finished() != null && t.finished().isBefore(horizon));
    }
}
