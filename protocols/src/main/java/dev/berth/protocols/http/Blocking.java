package dev.berth.protocols.http;

import dev.berth.core.error.BerthException;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs request work that may block (host tools, store writes) on a virtual thread, then hands the
 * outcome back to the request's event-loop context. Requests for different volumes run in
 * parallel; the event loop never blocks.
 */
public final class Blocking implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Blocking.class.getName());
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    public <T> void run(Supplier<T> work, Consumer<T> onSuccess, Consumer<BerthException> onError,
                        Consumer<RuntimeException> onBug) {
        Context context = Vertx.currentContext();
        executor.execute(() -> {
            try {
                T result = work.get();
                context.runOnContext(v -> onSuccess.accept(result));
            } catch (BerthException e) {
                context.runOnContext(v -> onError.accept(e));
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "unexpected error", e);
                context.runOnContext(v -> onBug.accept(e));
            }
        });
    }

    @Override
    public void close() {
        executor.shutdown();
    }
}
