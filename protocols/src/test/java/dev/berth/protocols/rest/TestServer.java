package dev.berth.protocols.rest;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A real HTTP server on a loopback port that stands in for a controller: {@code answer} gives each
 * request's reply ({@link Reply}). It counts requests by "METHOD path" and can be killed: its
 * connections and its port closed at once, as when the process dies.
 */
final class TestServer implements AutoCloseable {
    /** What to do with a request: answer with status and body, or read it and drop the connection. */
    record Reply(int status, String body, boolean drop) {
        static Reply json(int status, String body) {
            return new Reply(status, body, false);
        }

        static Reply dropAfterReading() {
            return new Reply(0, null, true);
        }
    }

    private final HttpServer server;
    private final List<HttpConnection> connections = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    final int port;

    TestServer(Vertx vertx, Function<HttpServerRequest, Reply> answer) throws Exception {
        server = vertx.createHttpServer()
                .connectionHandler(connections::add)
                .requestHandler(req -> req.body().onSuccess(b -> {
                    hits.computeIfAbsent(req.method() + " " + req.path(), k -> new AtomicInteger()).incrementAndGet();
                    Reply r = answer.apply(req);
                    if (r.drop()) {
                        req.connection().close();
                        return;
                    }
                    req.response().setStatusCode(r.status());
                    if (r.body() == null) {
                        req.response().end();
                    } else {
                        req.response().putHeader("Content-Type", "application/json").end(r.body());
                    }
                }));
        server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        port = server.actualPort();
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    int hits(String methodAndPath) {
        AtomicInteger n = hits.get(methodAndPath);
        return n == null ? 0 : n.get();
    }

    int allHits() {
        return hits.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** Closes every connection and the port, as kill -9 would (the kernel resets what is left). */
    void kill() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        for (HttpConnection c : connections) {
            c.close();
        }
    }

    @Override
    public void close() throws Exception {
        kill();
    }
}
