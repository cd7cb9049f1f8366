package dev.berth.protocols.docker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.protocols.http.Futures;
import dev.berth.protocols.http.Json;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A client of the plugin protocol that asks the way dockerd does (observed, see
 * shared/reference/machine.md): {@code POST}, HTTP/1.1, {@code Accept:
 * application/vnd.docker.plugins.v1.2+json}, no Content-Type, a JSON body followed by "\n", one
 * kept-alive connection. For tests and the benchmark; the byte-exact blank {@code Host:} header is
 * covered by a raw-socket test of its own.
 */
public final class PluginClient implements AutoCloseable {
    private final Vertx vertx;
    private final io.vertx.core.Context context;
    private final HttpClientAgent http;
    private final SocketAddress server;

    /** A reply: status, headers (names lower-cased) and body. */
    public record Reply(int status, Map<String, String> headers, String body) {
        public JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException("reply is not JSON: " + body, e);
            }
        }

        /** The {@code Err} field, or "" when there is none. */
        public String err() {
            return json().path("Err").asText("");
        }
    }

    private PluginClient(Path socket) {
        this.vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1));
        this.context = vertx.getOrCreateContext();
        this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(1));
        this.server = SocketAddress.domainSocketAddress(socket.toString());
    }

    public static PluginClient connect(Path socket) {
        return new PluginClient(socket);
    }

    /** {@code POST path} with {@code json + "\n"} as body; a null body sends none (as Activate does). */
    public Reply call(String path, String json) {
        return send(HttpMethod.POST, path, json);
    }

    /** Any method, for the refusals of calls dockerd never makes. */
    public Reply send(HttpMethod method, String path, String json) {
        Buffer body = json == null ? Buffer.buffer() : Buffer.buffer(json + "\n");
        RequestOptions o = new RequestOptions().setMethod(method).setServer(server).setHost("localhost").setPort(80)
                .setURI(path)
                .putHeader("User-Agent", "Go-http-client/1.1")
                .putHeader("Accept", "application/vnd.docker.plugins.v1.2+json");
        return Futures.onContext(context, () -> http.request(o)
                .compose(req -> req.send(body))
                .compose(resp -> resp.body().map(b -> {
                    Map<String, String> headers = new LinkedHashMap<>();
                    resp.headers().forEach(h -> headers.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
                    return new Reply(resp.statusCode(), headers, b.toString());
                })));
    }

    @Override
    public void close() {
        Futures.get(vertx.close());
    }
}
