package dev.berth.protocols.rest;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.Unavailable;
import dev.berth.protocols.http.AnswerReader;
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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.config.TlsConfig;
import org.apache.hc.client5.http.impl.ChainElement;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
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
 *
 * <p>Several controllers: a TCP client may have a list of servers. It sticks to the one that last
 * answered, and moves on to the next (in list order, each at most once per call) when a server
 * cannot be connected to (refused, unreachable, connect or TLS handshake timeout: the request was
 * not sent) or answers 503. A request that was sent and then lost its connection (reset, no
 * answer, read timeout) may have been done: it goes to the next server only when it is a GET or
 * the caller marked it idempotent ({@link #callIdempotent}), otherwise the error says it may have
 * been done. A certificate the client does not trust is never skipped: it is reported at once.
 * Answers are read tolerantly ({@link AnswerReader}): a newer server may add fields.
 */
public final class RestClient implements AutoCloseable {
    /** Mounts format new volumes; the server's own tool timeouts are the real bound. */
    private static final Timeout READ_TIMEOUT = Timeout.ofMinutes(15);
    /** As long as Vert.x's client waited for a connection, which this client replaced. */
    private static final Timeout CONNECT_TIMEOUT = Timeout.ofSeconds(60);
    /**
     * With several servers, one that does not accept a connection (and finish the TLS handshake)
     * within this is skipped: an agent's heartbeat must reach the next controller within one lease
     * TTL (default 5s) when the host of its controller is gone and no RST comes back.
     */
    static final Timeout FAILOVER_CONNECT_TIMEOUT = Timeout.ofSeconds(2);
    /** Idle pooled connections are dropped before the server's http.idleTimeout (default 2m) would. */
    private static final TimeValue KEEP_ALIVE = TimeValue.ofSeconds(60);
    private static final Duration TASK_POLL = Duration.ofMillis(100);
    private static final int MAX_CONNECTIONS = 16;
    /** An answer is read into memory; no real one comes near this (10,000 volumes listed are ~5 MiB). */
    static final int MAX_ANSWER = 64 << 20;
    /** Set in a request's context once its connection is up: from then on the server may have seen it. */
    private static final String CONNECTED = "berth.connected";
    private final List<Endpoint> endpoints;
    /** The endpoint that answered last: calls start there (no round-robin). */
    private final AtomicInteger current = new AtomicInteger();
    private final String token;
    private final Path socket;
    private volatile Gate gate;

    /** One server: its base URL, how errors name it, its own connections and TLS trust. */
    private record Endpoint(String base, String where, CloseableHttpClient http, AtomicBoolean admitted) {
    }

    /** What a server's /v1/version must say before this client uses it (see {@link #requireApi}). */
    private record Gate(int needed, String client) {
    }

    private RestClient(List<Endpoint> endpoints, String token, Path socket) {
        this.endpoints = List.copyOf(endpoints);
        this.token = token;
        this.socket = socket;
    }

    public static RestClient unix(Path socket) {
        return new RestClient(List.of(new Endpoint("http://localhost", socket.toString(),
                client(RequestConfig.custom().setUnixDomainSocket(socket), null, CONNECT_TIMEOUT), new AtomicBoolean())),
                null, socket);
    }

    /** {@link #tcp(List, ClientTrust, String)} with one server. */
    public static RestClient tcp(URI base, ClientTrust trust, String token) {
        return tcp(List.of(base), trust, token);
    }

    /**
     * A client of the servers at {@code bases}, tried in this order (see the class comment):
     * {@code https://} with {@code trust} deciding which certificate is accepted, per host:port
     * (CA file with hostname check, pinned fingerprint, or first use), or plain {@code http://}
     * (the server knowingly has TLS off; logged as a warning, trust unused).
     *
     * @param token bearer token, or null; the same for every server (they share the token key)
     */
    public static RestClient tcp(List<URI> bases, ClientTrust trust, String token) {
        if (bases.isEmpty()) {
            throw new InvalidArgument("no server address given", "write it like https://HOST:" + ClientTrust.DEFAULT_PORT);
        }
        if (token != null) {
            BearerToken.check(token, "for " + bases.getFirst());
        }
        Timeout connect = bases.size() > 1 ? FAILOVER_CONNECT_TIMEOUT : CONNECT_TIMEOUT;
        List<Endpoint> endpoints = new ArrayList<>();
        var seen = new HashSet<String>();
        for (URI base : bases) {
            Endpoint e = endpoint(base, trust, connect);
            if (!seen.add(e.base())) {
                endpoints.forEach(x -> x.http().close(CloseMode.IMMEDIATE));
                e.http().close(CloseMode.IMMEDIATE);
                throw new InvalidArgument("server " + e.base() + " is listed twice", "list each controller once");
            }
            endpoints.add(e);
        }
        return new RestClient(endpoints, token, null);
    }

    private static Endpoint endpoint(URI base, ClientTrust trust, Timeout connect) {
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
        return new Endpoint(scheme + "://" + hostPort, base.toString(), client(RequestConfig.custom(), tls, connect),
                new AtomicBoolean());
    }

    private static CloseableHttpClient client(RequestConfig.Builder request,
                                              org.apache.hc.client5.http.ssl.TlsSocketStrategy tls, Timeout connect) {
        var connections = PoolingHttpClientConnectionManagerBuilder.create()
                .setMaxConnTotal(MAX_CONNECTIONS).setMaxConnPerRoute(MAX_CONNECTIONS)
                .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(connect)
                        .setSocketTimeout(READ_TIMEOUT).setValidateAfterInactivity(TimeValue.ofSeconds(2)).build())
                // A server that accepts the connection but never finishes the handshake (stopped,
                // overloaded) counts as not reached, like one that refuses it.
                .setDefaultTlsConfig(TlsConfig.custom().setHandshakeTimeout(connect).build());
        // Always a strategy of our own: without one the builder makes the JDK's default TLS context,
        // which reads the system's CA store (tens of ms) for a unix socket or plain http that never use it.
        connections.setTlsSocketStrategy(tls != null ? tls : (socket, target, port, attachment, context) -> {
            throw new javax.net.ssl.SSLException("this client has no TLS: its server is at a unix socket or plain http://");
        });
        // No retries (a POST must not run twice; a 503 is an answer, not a reason to wait), no
        // redirects, cookies, authentication schemes or compression: the API uses none of them.
        // The one step between connecting (TCP and TLS) and sending marks the request as possibly seen.
        return HttpClients.custom().setConnectionManager(connections.build())
                .setDefaultRequestConfig(request.setResponseTimeout(READ_TIMEOUT).setConnectionKeepAlive(KEEP_ALIVE)
                        .setRedirectsEnabled(false).build())
                .addExecInterceptorBefore(ChainElement.MAIN_TRANSPORT.name(), CONNECTED, (req, scope, chain) -> {
                    scope.clientContext.setAttribute(CONNECTED, Boolean.TRUE);
                    return chain.proceed(req, scope);
                })
                .disableAutomaticRetries().disableRedirectHandling().disableCookieManagement()
                .disableAuthCaching().disableContentCompression().disableConnectionState()
                .build();
    }

    public record Response(int status, String body) {
    }

    /** The methods the REST API uses (not Vert.x's HttpMethod: loading it starts Netty's string classes). */
    public enum Method { GET, POST, PUT, DELETE }

    /** One request: may it go to another server after it was sent, and its own answer timeout (or null). */
    private record Request(Method method, String uri, Object body, boolean idempotent, Timeout timeout) {
        String line() {
            return method + " " + uri;
        }
    }

    public Response call(Method method, String uri, Object body) {
        return call(new Request(method, uri, body, method == Method.GET, null));
    }

    private Response call(Request request) {
        return call(request, dev.berth.core.spi.Progress.NONE);
    }

    private Response call(Request request, dev.berth.core.spi.Progress progress) {
        Response r = once(request);
        while (r.status() == 202) {
            r = followTask(r, progress);
        }
        return r;
    }

    /**
     * Makes this client use only servers whose {@code GET /v1/version} says they serve a client of
     * level {@code needed} ({@link ApiVersion}): each server is asked once, before its first request,
     * and one that is too old is skipped like one that cannot be reached. Asks the first server now.
     *
     * @param client who asks, for the refusal, e.g. "this agent (Berth 0.2.0)"
     * @return the version answer of the server this client now uses
     */
    public JsonNode requireApi(int needed, String client) {
        gate = new Gate(needed, client);
        Response r = call(Method.GET, ApiVersion.PATH, null);
        check(r);
        return tree(r.body(), "version answer");
    }

    private Response once(Request request) {
        int n = endpoints.size();
        int start = current.get();
        List<BerthException> missed = new ArrayList<>();
        boolean allRefusedByGate = true;
        for (int i = 0; i < n; i++) {
            int at = (start + i) % n;
            Endpoint e = endpoints.get(at);
            Response answer;
            try {
                admit(e);
                answer = send(e, request);
            } catch (Skip skip) {
                missed.add(skip.error);
                allRefusedByGate &= skip.byGate;
                continue;
            }
            if (answer.status() == 503 && n > 1 && (i < n - 1 || !missed.isEmpty())) {
                missed.add(errorOf(answer, e));
                allRefusedByGate = false;
                continue;
            }
            if (at != start && current.compareAndSet(start, at)) {
                // Operators need to see a fail-over: which controller stopped answering, and why.
                Logger.getLogger(RestClient.class.getName()).warning("now using " + e.where() + " for " + request.line()
                        + " and later calls: " + endpoints.get(start).where() + " could not serve it ("
                        + (missed.isEmpty() ? "no reason" : missed.getFirst().getMessage()) + ")");
            }
            current.set(at);
            return answer;
        }
        if (missed.size() == 1 || allRefusedByGate) {
            throw missed.getFirst();
        }
        StringBuilder why = new StringBuilder();
        for (BerthException m : missed) {
            why.append(why.isEmpty() ? "" : "; ").append(m.getMessage());
        }
        throw new Unavailable("no controller could answer " + request.line() + " (" + n + " tried): " + why,
                "start a controller, or check the list in --host / BERTH_HOST / controller.url"
                        + (missed.getFirst().hint().isEmpty() ? "" : "; " + missed.getFirst().hint()));
    }

    /** The first request to a server, once there is a gate: its version must be one this client can use. */
    private void admit(Endpoint e) {
        Gate g = gate;
        if (g == null || e.admitted().get()) {
            return;
        }
        Response r = send(e, new Request(Method.GET, ApiVersion.PATH, null, true, null));
        if (r.status() != 200) {
            BerthException err = r.status() == 503 ? errorOf(r, e) : new BackendFailure("the server at " + e.where()
                    + " answered HTTP " + r.status() + " to GET " + ApiVersion.PATH, "is it a Berth controller? Check the URL");
            throw new Skip(err, r.status() != 503);
        }
        JsonNode version;
        try {
            version = AnswerReader.tree(r.body());
        } catch (IOException ex) {
            throw new Skip(new BackendFailure("the server at " + e.where() + " answered GET " + ApiVersion.PATH
                    + " with no JSON", "is it a Berth controller? Check the URL"), true);
        }
        Optional<BerthException> refused = ApiVersion.refusal(version, e.where(), g.needed(), g.client());
        if (refused.isPresent()) {
            Logger.getLogger(RestClient.class.getName()).warning(refused.get().fullMessage());
            throw new Skip(refused.get(), true);
        }
        e.admitted().set(true);
    }

    /** A server's 503 as the error it names (message and hint intact), or in words when it names none. */
    private static BerthException errorOf(Response r, Endpoint e) {
        try {
            JsonNode err = AnswerReader.tree(r.body()).path("error");
            if (!err.isMissingNode()) {
                BerthException b = RestErrors.fromWire(r.status(), err);
                return new Unavailable(e.where() + ": " + b.getMessage(), b.hint());
            }
        } catch (IOException notJson) {
            // in words below
        }
        return new Unavailable(e.where() + " answered HTTP 503: " + r.body(), "");
    }

    /** This server is passed over for the call; {@code byGate}: it answered, but its version does not fit. */
    private static final class Skip extends RuntimeException {
        final BerthException error;
        final boolean byGate;

        Skip(BerthException error, boolean byGate) {
            super(error.getMessage(), null, false, false);
            this.error = error;
            this.byGate = byGate;
        }
    }

    private Response send(Endpoint e, Request r) {
        HttpUriRequestBase request = new HttpUriRequestBase(r.method().name(), URI.create(e.base() + r.uri()));
        if (token != null) {
            request.addHeader("Authorization", "Bearer " + token);
        }
        if (r.body() != null) {
            request.setEntity(new ByteArrayEntity(Json.write(r.body()).getBytes(StandardCharsets.UTF_8), ContentType.APPLICATION_JSON));
        }
        if (r.timeout() != null) {
            request.setConfig(RequestConfig.copy(RequestConfig.DEFAULT).setResponseTimeout(r.timeout())
                    .setConnectionKeepAlive(KEEP_ALIVE).setRedirectsEnabled(false)
                    .setUnixDomainSocket(socket).build());
        }
        HttpClientContext context = HttpClientContext.create();
        try (ClassicHttpResponse response = e.http().executeOpen(null, request, context)) {
            return new Response(response.getCode(), read(request, response));
        } catch (TooLarge x) {
            throw new BackendFailure("the answer of " + e.where() + " to " + r.line() + " is larger than "
                    + (MAX_ANSWER >> 20) + " MiB", "is this a Berth server? Check --host / --socket", x);
        } catch (IOException x) {
            var trust = ClientTrust.explain(x);
            if (trust.isPresent()) {
                throw trust.get();
            }
            if (socket != null) {
                throw new Skip(Unreachable.socket(socket, x), false);
            }
            if (!Boolean.TRUE.equals(context.getAttribute(CONNECTED))) {
                throw new Skip(Unreachable.tcp(e.where(), x), false);
            }
            BerthException lost = Unreachable.afterSending(e.where(), r.line(), x, r.idempotent());
            if (r.idempotent()) {
                throw new Skip(lost, false);
            }
            throw lost;
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
    private Response followTask(Response accepted, dev.berth.core.spi.Progress progress) {
        String href = tree(accepted.body(), "202 answer").path("href").asText();
        while (true) {
            try {
                Thread.sleep(TASK_POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendFailure("interrupted while waiting for " + href, "the task goes on; GET " + href);
            }
            Response r = once(new Request(Method.GET, href, null, true, null));
            check(r);
            JsonNode task = tree(r.body(), "task");
            JsonNode p = task.path("progress");
            if (p.isObject()) {
                progress.update(p.path("done").asLong(0), p.path("total").asLong(0));
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
        return decode(call(new Request(method, uri, body, method == Method.GET, null)), type);
    }

    /**
     * As {@link #call(Method, String, Object, TypeReference)}, telling {@code progress} how far a
     * long copy got while its task runs (as the task reports it, about once a second).
     */
    public <T> T call(Method method, String uri, Object body, TypeReference<T> type, dev.berth.core.spi.Progress progress) {
        return decode(call(new Request(method, uri, body, method == Method.GET, null), progress), type);
    }

    /**
     * As {@link #call(Method, String, Object, TypeReference)}, for a change that may safely run twice
     * (a heartbeat, a registration that keeps an alive lease): after a lost connection it goes to
     * the next server too.
     *
     * @param timeout how long to wait for the answer, or null for the default (15 minutes)
     */
    public <T> T callIdempotent(Method method, String uri, Object body, TypeReference<T> type, Duration timeout) {
        return decode(call(new Request(method, uri, body, true, timeout == null ? null : Timeout.of(timeout))), type);
    }

    private <T> T decode(Response r, TypeReference<T> type) {
        check(r);
        if (r.body().isEmpty()) {
            return null;
        }
        try {
            return AnswerReader.read(r.body(), type);
        } catch (IOException e) {
            throw new BackendFailure("unreadable answer from Berth at " + endpoints.get(current.get()).where() + ": "
                    + e.getMessage(), versionHint());
        }
    }

    /**
     * Asked only once an answer could not be read (a CLI asks nothing before its call: one round
     * trip more on every command would buy nothing, since a newer server's extra fields are read
     * fine): which side to upgrade.
     */
    private String versionHint() {
        try {
            Response v = send(endpoints.get(current.get()), new Request(Method.GET, ApiVersion.PATH, null, true, null));
            if (v.status() == 200) {
                return ApiVersion.mismatch(AnswerReader.tree(v.body()));
            }
        } catch (RuntimeException | IOException e) {
            // no version to tell: the generic hint
        }
        return "check that client and server versions match (berth version; GET " + ApiVersion.PATH + ")";
    }

    private static JsonNode tree(String body, String what) {
        try {
            return AnswerReader.tree(body);
        } catch (IOException e) {
            throw new BackendFailure("unreadable " + what + " from Berth: " + body, "");
        }
    }

    private static void check(Response r) {
        if (r.status() >= 200 && r.status() < 300) {
            return;
        }
        JsonNode err = null;
        try {
            err = AnswerReader.tree(r.body()).path("error");
        } catch (IOException ignored) {
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
        endpoints.forEach(e -> e.http().close(CloseMode.GRACEFUL));
    }
}
