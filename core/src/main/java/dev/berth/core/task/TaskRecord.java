package dev.berth.core.task;

import java.time.Instant;
import java.util.Objects;

/**
 * A long operation as kept in a task book: who runs it, what it is, how it ended.
 *
 * @param owner    the controller running it (a {@code controllers/<id>} id; empty in a local book)
 * @param status   the status the call would have answered with (0 while running)
 * @param result   the answer's JSON text when it succeeded with a body, else null
 * @param error    the error's JSON text when it failed, else null
 * @param finished when it ended; null while running
 * @param progress how far a long copy got while running (null when the operation reports none)
 */
public record TaskRecord(String id, String owner, String operation, State state, int status, String result,
                         String error, Instant started, Instant finished, Progress progress) {
    /** {@code done} of {@code total} bytes ({@code total} 0 when not known). */
    public record Progress(long done, long total) {
        public Progress {
            if (done < 0 || total < 0) {
                throw new IllegalArgumentException("negative progress: " + done + " of " + total);
            }
        }
    }

    public enum State { RUNNING, SUCCEEDED, FAILED }

    public TaskRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(started, "started");
        owner = owner == null ? "" : owner;
        if ((state == State.RUNNING) != (finished == null)) {
            throw new IllegalArgumentException("a task has a finish time exactly when it is no longer running: " + state);
        }
    }

    public static TaskRecord running(String id, String owner, String operation, Instant started) {
        return new TaskRecord(id, owner, operation, State.RUNNING, 0, null, null, started, null, null);
    }

    /** This running task having got {@code progress} far. */
    public TaskRecord progressed(Progress progress) {
        return new TaskRecord(id, owner, operation, state, status, result, error, started, finished, progress);
    }

    public TaskRecord succeeded(TaskBook.Outcome outcome, Instant at) {
        return new TaskRecord(id, owner, operation, State.SUCCEEDED, outcome.status(), outcome.json(), null, started, at, progress);
    }

    public TaskRecord failed(TaskBook.Outcome outcome, Instant at) {
        return new TaskRecord(id, owner, operation, State.FAILED, outcome.status(), null, outcome.json(), started, at, progress);
    }

    public boolean running() {
        return state == State.RUNNING;
    }
}
