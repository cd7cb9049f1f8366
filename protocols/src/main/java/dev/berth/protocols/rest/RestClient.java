package dev.berth.protocols.rest;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
import dev.berth.protocols.http.Json;
import dev.berth.protocols.rest.security.BearerToken;
import dev.berth.protocols.rest.security.ClientTrust;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.logging.Logger;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * A client of the REST API, on the local unix socket or over TCP (TLS and a bearer token). Server
 * errors come back as the same core exceptions the server threw, message and hint intact; a 202
 * (long operation) is followed until its task ends.
 *
 * <p>Apache HttpClient 5 (classic, blocking): it starts no thread and no event loop, so a CLI call
 * costs one connection and one request (Vert.x's event loops and Netty's start took most of a
 * `berth volume ls`). The unix socket is the JDK's (JEP 380); TLS is the JDK's, with the trust
 * managers of {@link ClientTrust}. Thread-safe: the agent shares one client among its threads.
 */
public final class RestClient implements AutoCloseable {
    /** Mounts format new volumes; the server's own tool timeouts are the real bound. */
    private static final Timeout READ_TIMEOUT = Timeout.ofMinutes(15);
    /** As long as Vert.x's client waited for a connection, which this client replaced. */
    private static final Timeout CONNECT_TIMEOUT = Timeout.ofSeconds(60);
    /** Idle pooled connections are dropped before the server's http.idleTimeout (default 2m) would. */
    private static final TimeValue KEEP_ALIVE = TimeValue.ofSeconds(60);
    private static final Duration TASK_POLL = Duration.ofMillis(100);
    private static final int MAX_CONNECTIONS = 16;
    /** An answer is read into memory; no real one comes near this (10,000 volumes listed are ~5 MiB). */
    static final int MAX_ANSWER = 64 << 20;
    private final CloseableHttpClient http;
    private final String base;
    private final String where;
    private final String token;
    private final Path socket;

    private RestClient(CloseableHttpClient http, String base, String where, String token, Path socket) {
        this.http = http;
        this.base = base;
        this.where = where;
        this.token = token;
        this.socket = socket;
    }

    public static RestClient unix(Path socket) {
        return new RestClient(client(RequestConfig.custom().setUnixDomainSocket(socket), null),
                "http://localhost", socket.toString(), null, socket);
    }

    /**
     * A client of the server at {@code base}: {@code https://} with {@code trust} deciding which
     * certificate is accepted (CA file with hostname check, pinned fingerprint, or first use), or
     * plain {@code http://} (the server knowingly has TLS off; logged as a warning, trust unused).
     *
     * @param token bearer token, or null
     */
    public static RestClient tcp(URI base, ClientTrust trust, String token) {
        if (token != null) {
            BearerToken.check(token, "for " + base);
        }
        String scheme = base.getScheme() == null ? "" : base.getScheme().toLowerCase(Locale.ROOT);
        if (base.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
            throw new InvalidArgument("'" + base + "' is not a server address",
                    "write it like https://HOST:" + ClientTrust.DEFAULT_PORT);
        }
        int port = base.getPort() > 0 ? base.getPort() : ClientTrust.DEFAULT_PORT;
        if (base.getPort() == 0 || port > 65535) {
            throw new InvalidArgument("'" + base + "' is not a server address with a port in 1..65535",
                    "write it like https://HOST:" + ClientTrust.DEFAULT_PORT);
        }
        String hostPort = ClientTrust.hostPort(base);
        if (scheme.equals("http")) {
            Logger.getLogger(ClientTrust.class.getName()).warning("plain HTTP to " + hostPort
                    + ": no TLS, the token and all data cross the network unencrypted");
        } else if (trust == null) {
            throw new IllegalArgumentException("https needs a ClientTrust");
        }
        var tls = scheme.equals("https") ? ClientTls.strategy(trust, hostPort) : null;
        return new RestClient(client(RequestConfig.custom(), tls), scheme + "://" + hostPort, base.toString(), token, null);
    }

    private static CloseableHttpClient client(RequestConfig.Builder request,
                                              org.apache.hc.client5.http.ssl.TlsSocketStrategy tls) {
        var connections = PoolingHttpClientConnectionManagerBuilder.create()
                .setMaxConnTotal(MAX_CONNECTIONS).setMaxConnPerRoute(MAX_CONNECTIONS)
                .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(CONNECT_TIMEOUT)
                        .setSocketTimeout(READ_TIMEOUT).setValidateAfterInactivity(TimeValue.ofSeconds(2)).build());
        // Always a strategy of our own: without one the builder makes the JDK's default TLS context,
        // which reads the system's CA store (tens of ms) for a unix socket or plain http that never use it.
        connections.setTlsSocketStrategy(tls != null ? tls : (socket, target, port, attachment, context) -> {
            throw new javax.net.ssl.SSLException("this client has no TLS: its server is at a unix socket or plain http://");
        });
        // No retries (a POST must not run twice; a 503 is an answer, not a reason to wait), no
        // redirects, cookies, authentication schemes or compression: the API uses none of them.
        return HttpClients.custom().setConnectionManager(connections.build())
                .setDefaultRequestConfig(request.setResponseTimeout(READ_TIMEOUT).setConnectionKeepAlive(KEEP_ALIVE)
                        .setRedirectsEnabled(false).build())
                .disableAutomaticRetries().disableRedirectHandling().disableCookieManagement()
                .disableAuthCaching().disableContentCompression().disableConnectionState()
                .build();
    }

    public record Response(int status, String body) {
    }

    /** The methods the REST API uses (not Vert.x's HttpMethod: loading it starts Netty's string classes). */
    public enum Method { GET, POST, PUT, DELETE }

    public Response call(Method method, String uri, Object body) {
        Response r = once(method, uri, body);
        while (r.status() == 202) {
            r = followTask(r);
        }
        return r;
    }

    private Response once(Method method, String uri, Object body) {
        HttpUriRequestBase request = new HttpUriRequestBase(method.name(), URI.create(base + uri));
        if (token != null) {
            request.addHeader("Authorization", "Bearer " + token);
        }
        if (body != null) {
            request.setEntity(new ByteArrayEntity(Json.write(body).getBytes(StandardCharsets.UTF_8), ContentType.APPLICATION_JSON));
        }
        try (ClassicHttpResponse response = http.executeOpen(null, request, null)) {
            return new Response(response.getCode(), read(request, response));
        } catch (TooLarge e) {
            throw new BackendFailure("the answer of " + where + " to " + method + " " + uri + " is larger than "
                    + (MAX_ANSWER >> 20) + " MiB", "is this a Berth server? Check --host / --socket", e);
        } catch (IOException e) {
            var trust = ClientTrust.explain(e);
            if (trust.isPresent()) {
                throw trust.get();
            }
            throw socket != null ? Unreachable.socket(socket, e) : Unreachable.tcp(where, e);
        }
    }

    /**
     * The body, up to MAX_ANSWER: a server that is not Berth (a first-use TLS connection can reach
     * anyone) must not fill the heap. Past the limit the request is cancelled, which closes the
     * connection: closing the stream instead would read the rest of an endless answer.
     */
    private static String read(HttpUriRequestBase request, ClassicHttpResponse response) throws IOException {
        HttpEntity entity = response.getEntity();
        if (entity == null) {
            return "";
        }
        if (entity.getContentLength() > MAX_ANSWER) {
            request.cancel();
            throw new TooLarge();
        }
        InputStream in = entity.getContent();
        byte[] bytes = in.readNBytes(MAX_ANSWER + 1);
        if (bytes.length > MAX_ANSWER) {
            request.cancel();
            throw new TooLarge();
        }
        in.close();
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** An answer past MAX_ANSWER. */
    private static final class TooLarge extends IOException {
        TooLarge() {
            super("the answer is larger than " + MAX_ANSWER + " bytes", null);
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
            Response r = once(Method.GET, href, null);
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
    public <T> T call(Method method, String uri, Object body, TypeReference<T> type) {
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
        http.close(CloseMode.GRACEFUL);
    }
}
