package dev.berth.protocols.http;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.BerthException;
import io.vertx.core.Future;
import java.util.concurrent.ExecutionException;

/** Waits for a Vert.x future from a plain (non-event-loop) thread. */
public final class Futures {
    private Futures() {
    }

    /**
     * Starts {@code work} on {@code context}'s event loop and waits for it. A client call must be
     * composed there: composed from another thread, a step whose future has already completed
     * runs at once on the calling thread, and a response body handler set that late loses the
     * body (seen as an empty body with a non-zero Content-Length about once in 3,000 calls).
     */
    public static <T> T onContext(io.vertx.core.Context context, java.util.function.Supplier<Future<T>> work) {
        io.vertx.core.Promise<T> done = io.vertx.core.Promise.promise();
        context.runOnContext(v -> {
            try {
                work.get().onComplete(done);
            } catch (RuntimeException e) {
                done.fail(e);
            }
        });
        return get(done.future());
    }

    public static <T> T get(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendFailure("interrupted", "", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof BerthException be) {
                throw be;
            }
            throw new BackendFailure(String.valueOf(cause.getMessage()), "", cause);
        }
    }
}
