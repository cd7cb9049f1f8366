package dev.berth.core.error;

import java.util.concurrent.ExecutionException;

/** What a task run on another thread threw, thrown again on the thread that waited for it. */
public final class Causes {
    private Causes() {
    }

    /**
     * Throws the cause of {@code e} if it is unchecked (a BerthException keeps its message and
     * hint); a checked cause, which the work's signature cannot have declared, is wrapped.
     */
    public static RuntimeException rethrow(ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException r) {
            throw r;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        throw new IllegalStateException(cause);
    }
}
