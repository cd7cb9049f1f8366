package dev.berth.host;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Drains one output stream of a child process on its own (virtual) thread, so a tool that fills
 * one pipe while we wait on the other can never deadlock. Keeps at most {@code cap} bytes but
 * keeps reading past that, so the child is never blocked on a full pipe.
 */
final class OutputCollector {
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final int cap;
    private final Thread thread;
    private boolean overflowed;

    private OutputCollector(InputStream in, int cap, String name) {
        this.cap = cap;
        this.thread = Thread.ofVirtual().name(name).start(() -> drain(in));
    }

    static OutputCollector start(InputStream in, int cap, String name) {
        return new OutputCollector(in, cap, name);
    }

    private void drain(InputStream in) {
        byte[] chunk = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(chunk)) != -1) {
                synchronized (this) {
                    int room = cap - kept.size();
                    if (room > 0) {
                        kept.write(chunk, 0, Math.min(n, room));
                    }
                    if (n > room) {
                        overflowed = true;
                    }
                }
            }
        } catch (IOException e) {
            // The pipe was closed under us (process killed): what was read so far is all there is.
        }
    }

    /**
     * Waits until the stream hit end-of-file. False if it did not within {@code wait}: some
     * descendant that escaped still holds the pipe; everything the tool itself wrote has been read
     * by then, so the caller may go on with {@link #text()}.
     */
    boolean await(Duration wait) {
        try {
            return thread.join(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    synchronized String text() {
        return kept.toString(StandardCharsets.UTF_8);
    }

    synchronized boolean overflowed() {
        return overflowed;
    }
}
