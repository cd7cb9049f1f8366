package dev.berth.core.log;

import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * The id of the request a thread works for, so that every log line written on its behalf (the
 * protocol's request log, the host commands it runs) can be found together. Bound as a scoped
 * value: it cannot leak into the next request a pooled or virtual thread serves.
 */
public final class RequestIds {
    private static final ScopedValue<String> CURRENT = ScopedValue.newInstance();

    private RequestIds() {
    }

    /** The id bound on this thread, if any. */
    public static Optional<String> current() {
        return CURRENT.isBound() ? Optional.of(CURRENT.get()) : Optional.empty();
    }

    public static void run(String id, Runnable work) {
        ScopedValue.where(CURRENT, id).run(work);
    }

    public static <T> T call(String id, Callable<T> work) throws Exception {
        return ScopedValue.where(CURRENT, id).call(work::call);
    }
}
