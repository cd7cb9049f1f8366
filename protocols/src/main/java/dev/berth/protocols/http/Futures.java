package dev.berth.protocols.http;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.BerthException;
import io.vertx.core.Future;
import java.util.concurrent.ExecutionException;

/** Waits for a Vert.x future from a plain (non-event-loop) thread. */
public final class Futures {
    private Futures() {
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
