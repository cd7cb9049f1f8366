package dev.berth.protocols.rest;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.BerthException;
import dev.berth.protocols.http.Futures;
import dev.berth.protocols.http.Json;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A client of the REST API on the local unix socket (remote TCP/TLS comes with the controller
 * role). Server errors come back as the same core exceptions the server threw, message and hint
 * intact.
 */
public final class RestClient implements AutoCloseable {
    /** Mounts format new volumes; the server's own tool timeouts are the real bound. */
    private static final long TIMEOUT_MS = TimeUnit.MINUTES.toMillis(15);
    private final Vertx vertx;
    private final HttpClientAgent http;
    private final SocketAddress server;
    private final String where;

    private RestClient(Vertx vertx, SocketAddress server, String where) {
        this.vertx = vertx;
        this.http = vertx.createHttpClient(new HttpClientOptions(), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(16));
        this.server = server;
        this.where = where;
    }

    public static RestClient unix(Path socket) {
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        return new RestClient(vertx, SocketAddress.domainSocketAddress(socket.toString()), socket.toString());
    }

    public record Response(int status, String body) {
    }

    public Response call(HttpMethod method, String uri, Object body) {
        RequestOptions opts = new RequestOptions().setMethod(method).setServer(server).setHost("localhost").setPort(80)
                .setURI(uri).setIdleTimeout(TIMEOUT_MS);
        Buffer payload = body == null ? Buffer.buffer() : Buffer.buffer(Json.write(body));
        try {
            return Futures.get(http.request(opts)
                    .compose(req -> {
                        if (body != null) {
                            req.putHeader("Content-Type", "application/json");
                        }
                        return req.send(payload);
                    })
                    .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), b.toString()))));
        } catch (BackendFailure e) {
            throw new BackendFailure("cannot reach Berth at " + where + ": " + e.getMessage(),
                    "is `berth serve` running? Start it with `bin/berth serve`, or point --socket at it");
        }
    }

    /** Calls and decodes a 2xx answer into {@code type}; anything else becomes the server's error. */
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
        BerthException e = RestErrors.fromWire(r.status(), err.path("code").asText(null),
                err.path("message").asText(null), err.path("hint").asText(""));
        throw e;
    }

    public static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        Futures.get(vertx.close());
    }
}
