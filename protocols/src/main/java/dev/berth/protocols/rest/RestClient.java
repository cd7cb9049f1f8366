package dev.berth.protocols.rest;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
import dev.berth.protocols.http.Futures;
import dev.berth.protocols.http.Json;
import dev.berth.protocols.rest.security.BearerToken;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A client of the REST API, on the local unix socket or over TCP (TLS and a bearer token). Server
 * errors come back as the same core exceptions the server threw, message and hint intact; a 202
 * (long operation) is followed until its task ends.
 */
public final class RestClient implements AutoCloseable {
    /** Mounts format new volumes; the server's own tool timeouts are the real bound. */
    private static final long TIMEOUT_MS = TimeUnit.MINUTES.toMillis(15);
    private static final Duration TASK_POLL = Duration.ofMillis(100);
    /** An answer is read into memory; no real one comes near this (10,000 volumes listed are ~5 MiB). */
    static final int MAX_ANSWER = 64 << 20;
    private final Vertx vertx;
    private final io.vertx.core.Context context;
    private final HttpClientAgent http;
    private final SocketAddress server;
    private final String host;
    private final int port;
    private final String where;
    private final String token;
    private final Path socket;

    private RestClient(Vertx vertx, HttpClientOptions options, SocketAddress server, String host, int port,
                       String where, String token, Path socket) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.http = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(16));
        this.server = server;
        this.host = host;
        this.port = port;
        this.where = where;
        this.token = token;
        this.socket = socket;
    }

    public static RestClient unix(Path socket) {
        Vertx vertx = Vertx.vertx(options());
        return new RestClient(vertx, new HttpClientOptions(), SocketAddress.domainSocketAddress(socket.toString()),
                "localhost", 80, socket.toString(), null, socket);
    }

    /**
     * @param options TLS trust etc. (see ClientTrust); SSL is switched on for https URIs
     * @param token   bearer token, or null
     */
    public static RestClient tcp(URI base, HttpClientOptions options, String token) {
        if (token != null) {
            BearerToken.check(token, "for " + base);
        }
        int port = base.getPort() > 0 ? base.getPort() : 7979;
        if (base.getHost() == null || base.getPort() == 0 || port > 65535) {
            throw new InvalidArgument("'" + base + "' is not a server address with a port in 1..65535",
                    "write it like https://HOST:7979");
        }
        Vertx vertx = Vertx.vertx(options());
        boolean tls = "https".equals(base.getScheme());
        options.setSsl(tls);
        return new RestClient(vertx, options, SocketAddress.inetSocketAddress(port, base.getHost()), base.getHost(), port,
                base.toString(), token, null);
    }

    /**
     * No file cache: a client serves no files, and Vert.x's cache folder (java.io.tmpdir/vertx-cache)
     * left by root's daemon would make every CLI call of another user fail ("Unable to create folder").
     */
    private static VertxOptions options() {
        return new VertxOptions().setPreferNativeTransport(true)
                .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false));
    }

    public record Response(int status, String body) {
    }

    public Response call(HttpMethod method, String uri, Object body) {
        Response r = once(method, uri, body);
        while (r.status() == 202) {
            r = followTask(r);
        }
        return r;
    }

    private Response once(HttpMethod method, String uri, Object body) {
        RequestOptions opts = new RequestOptions().setMethod(method).setServer(server).setHost(host).setPort(port)
                .setURI(uri).setIdleTimeout(TIMEOUT_MS);
        if (token != null) {
            opts.putHeader("Authorization", "Bearer " + token);
        }
        Buffer payload = body == null ? Buffer.buffer() : Buffer.buffer(Json.write(body));
        try {
            return Futures.onContext(context, () -> http.request(opts)
                    .compose(req -> {
                        if (body != null) {
                            req.putHeader("Content-Type", "application/json");
                        }
                        return req.send(payload);
                    })
                    .compose(resp -> BoundedBody.of(resp, MAX_ANSWER).map(b -> new Response(resp.statusCode(), b.toString()))));
        } catch (BackendFailure e) {
            if (e.getCause() instanceof BoundedBody.TooLarge) {
                throw new BackendFailure("the answer of " + where + " to " + method + " " + uri + " is larger than "
                        + (MAX_ANSWER >> 20) + " MiB", "is this a Berth server? Check --host / --socket", e.getCause());
            }
            var trust = dev.berth.protocols.rest.security.ClientTrust.explain(e.getCause());
            if (trust.isPresent()) {
                throw trust.get();
            }
            throw socket != null ? Unreachable.socket(socket, e.getCause()) : Unreachable.tcp(where, e.getCause());
        }
    }

    /** Polls the task named by a 202 answer; returns the answer the call finally had. */
    private Response followTask(Response accepted) {
        String href;
        try {
            href = Json.MAPPER.readTree(accepted.body()).path("href").asText();
        } catch (java.io.IOException e) {
            throw new BackendFailure("unreadable 202 answer from Berth: " + accepted.body(), "");
        }
        while (true) {
            try {
                Thread.sleep(TASK_POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendFailure("interrupted while waiting for " + href, "the task goes on; GET " + href);
            }
            Response r = once(HttpMethod.GET, href, null);
            check(r);
            JsonNode task;
            try {
                task = Json.MAPPER.readTree(r.body());
            } catch (java.io.IOException e) {
                throw new BackendFailure("unreadable task from Berth: " + r.body(), "");
            }
            if (!task.path("state").asText().equals("running")) {
                int status = task.path("status").asInt(500);
                JsonNode payload = task.path("state").asText().equals("succeeded") ? task.path("result")
                        : Json.MAPPER.createObjectNode().set("error", task.path("error"));
                return new Response(status, payload.isMissingNode() || payload.isNull() ? "" : payload.toString());
            }
        }
    }

    /** Calls and decodes a 2xx answer into {@code type} (null for an empty answer); errors are thrown. */
    public <T> T call(HttpMethod method, String uri, Object body, TypeReference<T> type) {
        Response r = call(method, uri, body);
        check(r);
        if (r.body().isEmpty()) {
            return null;
        }
        try {
            return Json.MAPPER.readValue(r.body(), type);
        } catch (java.io.IOException e) {
            throw new BackendFailure("unreadable answer from Berth: " + e.getMessage(), "check that client and server versions match");
        }
    }

    private static void check(Response r) {
        if (r.status() >= 200 && r.status() < 300) {
            return;
        }
        JsonNode err = null;
        try {
            err = Json.MAPPER.readTree(r.body()).path("error");
        } catch (java.io.IOException ignored) {
            // not JSON: fall through with the raw text
        }
        if (err == null || err.isMissingNode()) {
            throw new BackendFailure("Berth answered HTTP " + r.status() + ": " + r.body(), "");
        }
        throw RestErrors.fromWire(r.status(), err);
    }

    public static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        Futures.get(vertx.close());
    }
}
