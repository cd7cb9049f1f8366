package dev.berth.app.daemon;

import dev.berth.core.error.Causes;
import dev.berth.protocols.http.UnixSocketServer;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Vert.x and the Docker plugin socket, started on a thread of their own while the daemon's main
 * thread opens the state store: both are mostly class loading and JIT work, and on two cores they
 * overlap. The socket answers Plugin.Activate at once and holds every other call at the
 * {@link StartGate} until the volumes can be served.
 */
final class EarlySockets {
    private static final Logger LOG = Logger.getLogger(EarlySockets.class.getName());

    record Started(Vertx vertx, UnixSocketServer docker) {
    }

    private final CompletableFuture<Started> started = new CompletableFuture<>();

    /** @param docker serves the plugin socket on the new Vert.x; null when this daemon has none */
    static EarlySockets begin(int eventLoops, Function<Vertx, UnixSocketServer> docker) {
        EarlySockets s = new EarlySockets();
        Thread.ofPlatform().name("berth-start-sockets").start(() -> {
            Vertx vertx = null;
            try {
                vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(eventLoops));
                s.started.complete(new Started(vertx, docker == null ? null : docker.apply(vertx)));
            } catch (RuntimeException | Error e) {
                if (vertx != null) {
                    vertx.close();
                }
                s.started.completeExceptionally(e);
            }
        });
        return s;
    }

    /** Waits for the start; a failure (e.g. the plugin socket is served by someone else) is thrown here. */
    Started join() {
        try {
            return started.get();
        } catch (ExecutionException e) {
            throw Causes.rethrow(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the sockets", e);
        }
    }

    /** For a start that failed before {@link #join}: closes whatever was started. */
    void abandon() {
        try {
            Started s = started.get(30, TimeUnit.SECONDS);
            if (s.docker() != null) {
                s.docker().close();
            }
            s.vertx().close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.fine("while closing the sockets of a failed start: " + e);
        }
    }
}
