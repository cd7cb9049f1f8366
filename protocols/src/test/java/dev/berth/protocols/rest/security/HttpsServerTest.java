package dev.berth.protocols.rest.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.Unauthenticated;
import dev.berth.protocols.http.Json;
import dev.berth.protocols.rest.RestErrors;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.ext.web.Router;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Vert.x HTTPS server on 127.0.0.1 (port 0) with a tiny router behind {@link AuthHandler},
 * and real Vert.x clients configured by each {@link ClientTrust} mode.
 */
class HttpsServerTest {
    static Vertx vertx;

    @TempDir
    Path tmp;
    TlsMaterial tls;
    Path key;
    HttpServer server;
    int port;
    final AtomicInteger served = new AtomicInteger();

    record Reply(int status, String body, MultiMap headers) {
        JsonNode json() throws Exception {
            return Json.MAPPER.readTree(body);
        }
    }

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        await(vertx.close());
    }

    @BeforeEach
    void startServer() throws Exception {
        tls = TlsMaterial.loadOrCreate(tmp.resolve("tls"), List.of("127.0.0.1", "localhost"));
        key = TokenIssuer.ensureHs256Key(tmp.resolve("token.key"));
        AuthConfig auth = AuthConfig.hs256(key)
                .withGlobal(new SubjectRules(null, List.of("eve")))
                .withService("fast", new SubjectRules(List.of("alice"), null));
        server = start(tls, new TokenVerifier(auth));
        port = server.actualPort();
    }

    @AfterEach
    void stopServer() throws Exception {
        await(server.close());
    }

    HttpServer start(TlsMaterial material, TokenVerifier verifier) throws Exception {
        Router r = Router.router(vertx);
        r.route().handler(new AuthHandler(verifier));
        r.get("/v1/health").handler(ctx -> {
            served.incrementAndGet();
            Principal p = AuthHandler.principal(ctx);
            ctx.response().putHeader("Content-Type", "application/json").end(Json.write(
                    Map.of("status", "ok", "subject", p == null ? "-" : p.subject())));
        });
        r.get("/v1/services/:service/volumes").handler(ctx -> {
            served.incrementAndGet();
            try {
                verifier.authorize(AuthHandler.principal(ctx), ctx.pathParam("service"));
                ctx.response().end("[]");
            } catch (BerthException e) {
                ctx.response().setStatusCode(RestErrors.status(e)).putHeader("Content-Type", "application/json")
                        .end(Json.write(RestErrors.body(e)));
            }
        });
        HttpServerOptions options = material.serverOptions(new HttpServerOptions().setHost("127.0.0.1").setPort(0));
        return await(vertx.createHttpServer(options).requestHandler(r).listen());
    }

    URI uri() {
        return URI.create("https://127.0.0.1:" + port);
    }

    String token(String subject) {
        return TokenIssuer.issueHs256(key, subject, java.time.Duration.ofMinutes(5), Map.of());
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    Reply get(HttpClientOptions options, String path, String authorization) throws Exception {
        HttpClientAgent client = vertx.createHttpClient(options);
        try {
            // Composed on the event loop: composed from this thread, a late body handler can lose the body.
            io.vertx.core.Promise<Reply> reply = io.vertx.core.Promise.promise();
            vertx.getOrCreateContext().runOnContext(v -> client.request(HttpMethod.GET, path)
                    .compose(req -> {
                        if (authorization != null) {
                            req.putHeader("Authorization", authorization);
                        }
                        return req.send();
                    })
                    .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b.toString(), resp.headers())))
                    .onComplete(reply));
            return await(reply.future());
        } finally {
            await(client.close());
        }
    }

    Reply getWithToken(ClientTrust trust, String subject) throws Exception {
        return get(trust.clientOptions(uri()), "/v1/health", "Bearer " + token(subject));
    }

    /** The failure of a request that must not get through, as the client sees it. */
    Throwable refused(HttpClientOptions options) {
        int before = served.get();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> get(options, "/v1/health", "Bearer " + token("alice")));
        assertEquals(before, served.get(), "the request (and its token) never reached the server");
        return e.getCause();
    }

    static BerthException explained(Throwable failure) {
        return ClientTrust.explain(failure).orElseThrow(() -> new AssertionError("unexplained failure", failure));
    }

    // --- trust modes ---------------------------------------------------------------------------

    @Test
    void caFileTrustsTheServerCertificate() throws Exception {
        Reply r = getWithToken(ClientTrust.caFile(tls.certFile()), "alice");
        assertEquals(200, r.status());
        assertEquals("alice", r.json().path("subject").asText());
    }

    @Test
    void caFileChecksTheHostName() throws Exception {
        TlsMaterial elsewhere = TlsMaterial.loadOrCreate(tmp.resolve("tls-elsewhere"), List.of("berth.invalid"));
        await(server.close());
        server = start(elsewhere, new TokenVerifier(AuthConfig.hs256(key)));
        port = server.actualPort();

        BerthException e = explained(refused(ClientTrust.caFile(elsewhere.certFile()).clientOptions(uri())));
        assertTrue(e instanceof Unauthenticated);
        assertTrue(e.getMessage().contains("127.0.0.1:" + port + " is not trusted by CA file"), e.getMessage());
        assertTrue(e.getMessage().contains(elsewhere.fingerprint()), e.getMessage());
        // the same certificate pinned by fingerprint: no host name check
        assertEquals(200, getWithToken(ClientTrust.pinned(elsewhere.fingerprint()), "alice").status());
    }

    @Test
    void caFileRefusesACertificateItDidNotIssue() {
        TlsMaterial other = TlsMaterial.loadOrCreate(tmp.resolve("tls-other"), List.of("127.0.0.1"));
        BerthException e = explained(refused(ClientTrust.caFile(other.certFile()).clientOptions(uri())));
        assertTrue(e.getMessage().contains("not trusted by CA file " + other.certFile()), e.getMessage());
    }

    @Test
    void pinnedRightFingerprintIsTrusted() throws Exception {
        // the OpenSSL colon form is accepted as well
        String colons = HexFormat.ofDelimiter(":").withUpperCase()
                .formatHex(HexFormat.of().parseHex(tls.fingerprint().substring(7)));
        assertEquals(200, getWithToken(ClientTrust.pinned(tls.fingerprint()), "alice").status());
        assertEquals(200, getWithToken(ClientTrust.pinned(colons), "alice").status());
    }

    @Test
    void pinnedWrongFingerprintIsRefused() {
        String wrong = "sha256:" + "00".repeat(32);
        BerthException e = explained(refused(ClientTrust.pinned(wrong).clientOptions(uri())));
        assertTrue(e.getMessage().contains(tls.fingerprint()) && e.getMessage().contains(wrong), e.getMessage());
    }

    @Test
    void trustOnFirstUseRecordsThenTrustsThenRefusesAChangedCertificate() throws Exception {
        Path knownHosts = tmp.resolve("home/.berth/known_hosts");
        Files.createDirectories(knownHosts.getParent());
        String otherLine = "ctl.example.org:7979 sha256:" + "ab".repeat(32);
        Files.writeString(knownHosts, "# my servers\n" + otherLine + "\n");
        ByteArrayOutputStream notices = new ByteArrayOutputStream();
        ClientTrust tofu = new ClientTrust.TrustOnFirstUse(knownHosts, new PrintStream(notices, true, StandardCharsets.UTF_8));
        String hostPort = "127.0.0.1:" + port;

        // first contact: accepted, recorded, announced
        assertEquals(200, getWithToken(tofu, "alice").status());
        assertEquals("# my servers\n" + otherLine + "\n" + hostPort + " " + tls.fingerprint() + "\n",
                Files.readString(knownHosts));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(knownHosts)));
        String said = notices.toString(StandardCharsets.UTF_8);
        assertTrue(said.contains("trusting " + hostPort + " on first use") && said.contains(tls.fingerprint()), said);

        // second contact (a new client): trusted silently
        assertEquals(200, getWithToken(tofu, "alice").status());
        assertEquals(said, notices.toString(StandardCharsets.UTF_8), "the notice is printed once");

        // the server now presents another certificate on the same host:port
        TlsMaterial replaced = TlsMaterial.loadOrCreate(tmp.resolve("tls-new"), List.of("127.0.0.1"));
        assertTrue(await(server.updateSSLOptions(new ServerSSLOptions().setKeyCertOptions(
                replaced.serverOptions(new HttpServerOptions()).getKeyCertOptions()))));
        String before = Files.readString(knownHosts);
        BerthException e = explained(refused(tofu.clientOptions(uri())));
        assertTrue(e instanceof Unauthenticated);
        assertTrue(e.getMessage().contains(replaced.fingerprint()) && e.getMessage().contains(tls.fingerprint()), e.getMessage());
        assertTrue(e.hint().contains("remove the line '" + hostPort + " " + tls.fingerprint() + "' from " + knownHosts), e.hint());
        assertTrue(e.hint().contains("--fingerprint " + replaced.fingerprint()), e.hint());
        assertEquals(before, Files.readString(knownHosts), "a refused certificate is not recorded");
    }

    @Test
    void chooseTakesExactlyOneMode() {
        assertTrue(ClientTrust.choose(tls.certFile(), null, null) instanceof ClientTrust.CaFile);
        assertTrue(ClientTrust.choose(null, tls.fingerprint(), null) instanceof ClientTrust.Pinned);
        ClientTrust tofu = ClientTrust.choose(null, " ", null);
        assertEquals(ClientTrust.defaultKnownHosts(), ((ClientTrust.TrustOnFirstUse) tofu).knownHosts());
        assertTrue(ClientTrust.defaultKnownHosts().endsWith(".berth/known_hosts"));
        assertThrows(InvalidArgument.class, () -> ClientTrust.choose(tls.certFile(), tls.fingerprint(), null));
        assertThrows(InvalidArgument.class, () -> ClientTrust.choose(tmp.resolve("absent.pem"), null, null));
        assertThrows(InvalidArgument.class, () -> ClientTrust.pinned("sha256:123"));
        assertEquals("[::1]:7979", ClientTrust.hostPort(URI.create("https://[::1]")));
        assertEquals("ctl:8443", ClientTrust.hostPort(URI.create("https://CTL:8443/")));
    }

    // --- plain HTTP -------------------------------------------------------------------------------

    @Test
    void plainHttpUriIsRefusedUnlessExplicitlyAllowed() {
        URI plain = URI.create("http://127.0.0.1:" + port);
        ClientTrust trust = ClientTrust.pinned(tls.fingerprint());
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> trust.clientOptions(plain));
        assertTrue(e.getMessage().contains("refusing plain http://127.0.0.1:" + port), e.getMessage());
        assertTrue(e.hint().contains("https://127.0.0.1:" + port));
        assertFalse(trust.clientOptions(plain, true).isSsl());
        assertThrows(InvalidArgument.class, () -> trust.clientOptions(URI.create("ftp://127.0.0.1:1")));
    }

    @Test
    void plainHttpClientToTheTlsPortGetsNoResponse() {
        HttpClientOptions plain = ClientTrust.pinned(tls.fingerprint())
                .clientOptions(URI.create("http://127.0.0.1:" + port), true);
        Throwable failure = refused(plain);
        // Netty's SslHandler finds no TLS record and closes the connection: no status, no body.
        assertTrue(failure instanceof io.vertx.core.http.HttpClosedException, failure.toString());
    }

    @Test
    void rawPlainHttpToTheTlsPortIsClosedWithoutAnHttpAnswer() throws Exception {
        byte[] answer;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(10_000); // a hang would fail the test with SocketTimeoutException
            OutputStream out = s.getOutputStream();
            out.write(("GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token("alice")
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            answer = in.readAllBytes(); // returns at EOF: the server closed the connection
        }
        String text = new String(answer, StandardCharsets.ISO_8859_1);
        System.out.println("plain HTTP to the TLS port got " + answer.length + " bytes: " + HexFormat.of().formatHex(answer));
        assertFalse(text.contains("HTTP/"), "no HTTP response: " + HexFormat.of().formatHex(answer));
        assertFalse(text.contains("status"), "no API body");
        assertEquals(0, served.get());
        // What arrives is at most a TLS alert record (content type 21) before the close.
        assertTrue(answer.length == 0 || answer[0] == 21, "only a TLS alert, got " + HexFormat.of().formatHex(answer));
    }

    // --- tokens over the wire ----------------------------------------------------------------------

    Reply call(String path, String authorization) throws Exception {
        return get(ClientTrust.pinned(tls.fingerprint()).clientOptions(uri()), path, authorization);
    }

    static void assertError(Reply r, int status, String code) throws Exception {
        assertEquals(status, r.status(), r.body());
        assertEquals("application/json", r.headers().get("Content-Type"));
        JsonNode err = r.json().path("error");
        assertEquals(code, err.path("code").asText());
        assertFalse(err.path("message").asText().isEmpty());
        assertFalse(err.path("hint").asText().isEmpty());
    }

    @Test
    void validHs256TokenIs200() throws Exception {
        Reply r = call("/v1/health", "Bearer " + token("alice"));
        assertEquals(200, r.status());
        assertEquals("alice", r.json().path("subject").asText());
        assertNull(r.headers().get("WWW-Authenticate"));
    }

    @Test
    void noTokenIs401WithWwwAuthenticate() throws Exception {
        Reply r = call("/v1/health", null);
        assertError(r, 401, "unauthenticated");
        assertEquals("Bearer realm=\"berth\"", r.headers().get("WWW-Authenticate"));
        assertTrue(r.json().path("error").path("hint").asText().contains("berth token new --subject NAME"));
        assertEquals(0, served.get());
    }

    @Test
    void expiredTokenIs401() throws Exception {
        Instant now = Instant.now();
        String expired = Tokens.hs256(key, Tokens.claims("alice", now.minusSeconds(7200), now.minusSeconds(3600)).build());
        Reply r = call("/v1/health", "Bearer " + expired);
        assertError(r, 401, "unauthenticated");
        assertEquals("Bearer realm=\"berth\", error=\"invalid_token\"", r.headers().get("WWW-Authenticate"));
        assertTrue(r.json().path("error").path("message").asText().contains("expired"));
    }

    @Test
    void badSignatureIs401() throws Exception {
        String forged = Tokens.hs256(new byte[32], Tokens.valid("alice"));
        assertError(call("/v1/health", "Bearer " + forged), 401, "unauthenticated");
    }

    @Test
    void algNoneIs401() throws Exception {
        assertError(call("/v1/health", "Bearer " + Tokens.none(Tokens.valid("alice"))), 401, "unauthenticated");
        assertError(call("/v1/health", "Bearer " + Tokens.strippedToNone(token("alice"))), 401, "unauthenticated");
    }

    @Test
    void rs256TokenToTheHs256ServerIs401() throws Exception {
        Reply r = call("/v1/health", "Bearer " + Tokens.rs256(Tokens.rsa(), Tokens.valid("alice")));
        assertError(r, 401, "unauthenticated");
        assertTrue(r.json().path("error").path("message").asText().contains("RS256"));
    }

    @Test
    void missingClaimsAre401() throws Exception {
        Instant now = Instant.now();
        assertError(call("/v1/health", "Bearer " + Tokens.hs256(key, Tokens.claims(null, now, now.plusSeconds(60)).build())),
                401, "unauthenticated");
        assertError(call("/v1/health", "Bearer " + Tokens.hs256(key, Tokens.claims("alice", null, now.plusSeconds(60)).build())),
                401, "unauthenticated");
        assertError(call("/v1/health", "Bearer " + Tokens.hs256(key, Tokens.claims("alice", now, null).build())),
                401, "unauthenticated");
    }

    @Test
    void globallyDeniedSubjectIs403() throws Exception {
        Reply r = call("/v1/health", "Bearer " + token("eve"));
        assertError(r, 403, "forbidden");
        assertNull(r.headers().get("WWW-Authenticate"));
        assertEquals(0, served.get());
    }

    @Test
    void serviceRulesAreAppliedByTheRouteThroughAuthorize() throws Exception {
        assertEquals(200, call("/v1/services/fast/volumes", "Bearer " + token("alice")).status());
        Reply r = call("/v1/services/fast/volumes", "Bearer " + token("bob"));
        assertError(r, 403, "forbidden");
        assertTrue(r.json().path("error").path("message").asText().contains("service 'fast'"));
        assertEquals(200, call("/v1/services/slow/volumes", "Bearer " + token("bob")).status());
    }

    @Test
    void disabledAuthPassesRequestsWithoutAPrincipal() throws Exception {
        await(server.close());
        server = start(tls, new TokenVerifier(AuthConfig.disabled()));
        port = server.actualPort();
        Reply r = call("/v1/health", null);
        assertEquals(200, r.status());
        assertEquals("-", r.json().path("subject").asText());
    }
}
