package dev.berth.core.task;

import java.util.Optional;
import java.util.UUID;

/**
 * Where long operations (a change answered 202) keep their state until the caller reads the
 * answer: in memory for a local socket, in the state store for controllers, so that any
 * controller sharing the store answers {@code GET /v1/tasks/{id}} and a restart loses nothing.
 * Answers are JSON text the protocol layer wrote; the book only keeps them.
 */
public interface TaskBook {
    /** Records a running task; returns its id (a random UUID: knowing it is what lets one read it). */
    String start(String operation);

    void succeeded(String id, Outcome result);

    void failed(String id, Outcome error);

    /**
     * Records how far a running task got (a long copy), for {@code GET /v1/tasks/{id}}; a finished
     * or unknown task is left as it is. May block (a store write): the caller calls it at most
     * about once a second, off the copying thread.
     */
    void progress(String id, TaskRecord.Progress progress);

    /** The task, if it exists and did not finish longer than the book's keep time ago. */
    Optional<TaskRecord> get(String id);

    /**
     * The answer a call would have given.
     *
     * @param json the body's JSON text; null for none (e.g. 204)
     */
    record Outcome(int status, String json) {
        public Outcome {
            if (status < 100 || status > 599) {
                throw new IllegalArgumentException("not an HTTP status: " + status);
            }
        }
    }

    /** Whether {@code id} has the form of a task id; anything else is no task (and never a store key). */
    static boolean validId(String id) {
        if (id == null || id.length() != 36) {
            return false;
        }
        try {
            return UUID.fromString(id).toString().equals(id);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
