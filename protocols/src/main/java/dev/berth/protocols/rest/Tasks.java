package dev.berth.protocols.rest;

import dev.berth.core.error.BerthException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Long operations: a call that has not finished within the configured wait is answered with 202
 * and a task id; {@code GET /v1/tasks/{id}} then tells its state and, once done, the answer the
 * call would have given. Finished tasks are forgotten after {@code keep}.
 */
public final class Tasks {
    private final Duration wait;
    private final Duration keep;
    private final Clock clock;
    private final Map<String, TaskView> tasks = new ConcurrentHashMap<>();

    public Tasks(Duration wait, Duration keep, Clock clock) {
        if (wait.isNegative() || keep.isNegative()) {
            throw new IllegalArgumentException("negative duration");
        }
        this.wait = wait;
        this.keep = keep;
        this.clock = clock;
    }

    Duration waitFor() {
        return wait;
    }

    /**
     * A task as `GET /v1/tasks/{id}` shows it.
     *
     * @param state  running, succeeded or failed
     * @param status the HTTP status the call would have answered with (0 while running)
     */
    public record TaskView(String id, String operation, String state, int status, Object result, Object error,
                           Instant started, Instant finished) {
    }

    String start(String operation) {
        purge();
        String id = UUID.randomUUID().toString();
        tasks.put(id, new TaskView(id, operation, "running", 0, null, null, clock.instant(), null));
        return id;
    }

    void succeeded(String id, int status, Object result) {
        tasks.computeIfPresent(id, (k, t) -> new TaskView(id, t.operation(), "succeeded", status, result, null,
                t.started(), clock.instant()));
    }

    void failed(String id, BerthException e) {
        tasks.computeIfPresent(id, (k, t) -> new TaskView(id, t.operation(), "failed", RestErrors.status(e), null,
                RestErrors.body(e).get("error"), t.started(), clock.instant()));
    }

    public Optional<TaskView> get(String id) {
        return Optional.ofNullable(tasks.get(id));
    }

    private void purge() {
        Instant horizon = clock.instant().minus(keep);
        tasks.values().removeIf(t -> t.finished() != null && t.finished().isBefore(horizon));
    }
}
