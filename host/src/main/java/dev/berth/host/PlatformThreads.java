package dev.berth.host;

import dev.berth.core.error.Causes;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Runs a native call on a platform thread when the caller is a virtual thread. A virtual thread
 * cannot unmount during a downcall, so a mount(2) that replays a journal or an umount2(2) that
 * flushes dirty data would hold one of the few carrier threads for seconds (two of them on two
 * cores: the node's heartbeat starves). Handed to a platform thread, the virtual thread waits in
 * Future.get and unmounts. Costs a thread hand-off (tens of microseconds); platform callers run inline.
 */
final class PlatformThreads {
    private static final ExecutorService POOL = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("berth-syscall-", 0).factory());

    private PlatformThreads() {
    }

    static <T> T call(Supplier<T> work) {
        if (!Thread.currentThread().isVirtual()) {
            return work.get();
        }
        Future<T> f = POOL.submit(work::get);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    // The system call cannot be taken back once started: wait for its outcome.
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw Causes.rethrow(e);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static void run(Runnable work) {
        call(() -> {
            work.run();
            return null;
        });
    }
}
