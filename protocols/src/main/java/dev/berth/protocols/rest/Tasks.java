package dev.berth.protocols.rest;

import com.fasterxml.jackson.annotation.JsonRawValue;
import dev.berth.core.error.BerthException;
import dev.berth.core.task.MemoryTaskBook;
import dev.berth.core.task.TaskBook;
import dev.berth.core.task.TaskRecord;
import dev.berth.protocols.http.Json;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Long operations: a call that has not finished within the configured wait is answered with 202
 * and a task id; {@code GET /v1/tasks/{id}} then tells its state and, once done, the answer the
 * call would have given. The tasks are kept in a {@link TaskBook}: the state store's on a
 * controller (any controller sharing the store answers), this process's memory elsewhere.
 * Finished tasks are forgotten after the book's keep time.
 */
public final class Tasks {
    private final Duration wait;
    private final TaskBook book;

    /** Tasks in this process's memory (a server without a state store). */
    public Tasks(Duration wait, Duration keep, Clock clock) {
        this(wait, new MemoryTaskBook(keep, clock));
    }

    public Tasks(Duration wait, TaskBook book) {
        if (wait.isNegative()) {
            throw new IllegalArgumentException("negative duration");
        }
        this.wait = wait;
        this.book = Objects.requireNonNull(book, "book");
    }

    Duration waitFor() {
        return wait;
    }

    /**
     * A task as `GET /v1/tasks/{id}` shows it.
     *
     * @param state  running, succeeded or failed
     * @param status the HTTP status the call would have answered with (0 while running)
     * @param result the answer's body (JSON) once succeeded, else null
     * @param error  the error object ({@code code}, {@code message}, {@code hint}…) once failed, else null
     * @param progress bytes copied so far ({@code done}, {@code total}; total 0 when not known) by a
     *               long copy, else null
     */
    public record TaskView(String id, String operation, String state, int status, @JsonRawValue String result,
                           @JsonRawValue String error, Instant started, Instant finished, TaskRecord.Progress progress) {
        static TaskView of(TaskRecord t) {
            return new TaskView(t.id(), t.operation(), t.state().name().toLowerCase(Locale.ROOT), t.status(), t.result(),
                    t.error(), t.started(), t.finished(), t.progress());
        }
    }

    /** How often a running task's progress is written to the book (a store write on a controller). */
    static final Duration PROGRESS_EVERY = Duration.ofSeconds(1);

    /** The REST answer of {@code e} as a task keeps it: its status and the {@code error} object. */
    public static TaskBook.Outcome outcome(BerthException e) {
        return new TaskBook.Outcome(RestErrors.status(e), Json.write(RestErrors.body(e).get("error")));
    }

    /** May block (a store write): call off the event loop. */
    String start(String operation) {
        return book.start(operation);
    }

    /** May block (a store write): call off the event loop. */
    void succeeded(String id, int status, Object result) {
        book.succeeded(id, new TaskBook.Outcome(status, result == null ? null : Json.write(result)));
    }

    /** May block (a store write): call off the event loop. */
    void failed(String id, BerthException e) {
        book.failed(id, outcome(e));
    }

    /** May block (a store write): call off the event loop. */
    void progress(String id, TaskRecord.Progress progress) {
        book.progress(id, progress);
    }

    /** May block (a store read): call off the event loop. */
    public Optional<TaskView> get(String id) {
        return book.get(id).map(TaskView::of);
    }
}
