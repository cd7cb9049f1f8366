package dev.berth.csi;

import dev.berth.core.error.Aborted;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One call at a time per volume (or per name being created): CSI lets a plugin answer ABORTED to a
 * call that overlaps another on the same volume, and an orchestrator that restarted may send such
 * overlaps. Refusing at once, naming the call in progress, beats queueing behind a slow format.
 */
final class InFlight {
    private final ConcurrentHashMap<String, String> running = new ConcurrentHashMap<>();

    /** A held slot; closing it frees the key. */
    interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    Slot enter(String key, String what, String call) {
        String other = running.putIfAbsent(key, call);
        if (other != null) {
            throw new Aborted("an operation on " + what + " is in progress (" + other + ")",
                    "retry once it is over");
        }
        return () -> running.remove(key, call);
    }
}
