package dev.berth.protocols.rest.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.protocols.http.HttpGuard;
import dev.berth.protocols.http.HttpLimits;
import dev.berth.protocols.rest.RestErrors;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The TLS of the TCP API, with real handshakes: a JDK client offering exactly one protocol and
 * suite against a Vert.x server configured as the controller configures it (TlsMaterial, HttpGuard).
 */
class TlsPolicyTest {
    static Vertx vertx;
    @TempDir
    Path tmp;
    final List<HttpServer> servers = new ArrayList<>();

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        await(vertx.close());
    }

    @AfterEach
    void stopServers() throws Exception {
        for (HttpServer s : servers) {
            await(s.close());
        }
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    /** A server as TcpApi builds it: the guard's options, then the TLS material's. */
    int serve(TlsMaterial tls, HttpLimits limits) throws Exception {
        HttpGuard guard = new HttpGuard("test", limits, RestErrors::send);
        HttpServerOptions options = tls.serverOptions(guard.options(new HttpServerOptions().setHost("127.0.0.1").setPort(0)));
        HttpServer s = await(guard.attach(vertx, vertx.createHttpServer(options), req -> req.response().end("ok")).listen());
        servers.add(s);
        return s.actualPort();
    }

    int serveEc() throws Exception {
        return serve(TlsMaterial.loadOrCreate(tmp.resolve("ec"), List.of("127.0.0.1")), HttpLimits.DEFAULT);
    }

    /** Handshakes offering only {@code protocol} and {@code suite}; the session, or the IOException of a refusal. */
    static SSLSession handshake(int port, String protocol, String suite, String... alpn) throws Exception {
        SSLSocket s = (SSLSocket) TrustAnyServer.context().getSocketFactory().createSocket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        p.setProtocols(new String[] {protocol});
        p.setCipherSuites(new String[] {suite});
        if (alpn.length > 0) {
            p.setApplicationProtocols(alpn);
        }
        s.setSSLParameters(p);
        try {
            s.startHandshake();
            // and HTTP/1.1 works over it
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] reply = new byte[64];
            int n = s.getInputStream().read(reply);
            assertTrue(n > 0 && new String(reply, 0, n, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"));
            return s.getSession();
        } finally {
            s.close();
        }
    }

    @Test
    void everySuiteOfThePolicyIsOneTheJdkSupports() throws Exception {
        Set<String> supported = Set.of(SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites());
        for (String suite : TlsPolicy.CIPHER_SUITES) {
            assertTrue(supported.contains(suite), suite);
            assertTrue(suite.contains("_GCM_") || suite.contains("CHACHA20_POLY1305"), "AEAD only: " + suite);
            assertTrue(suite.startsWith("TLS_ECDHE_") || !suite.contains("_WITH_"), "ECDHE or TLS 1.3 only: " + suite);
        }
        assertEquals(List.of("TLSv1.3", "TLSv1.2"), TlsPolicy.PROTOCOLS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"})
    void cbcSuitesUnderTls12AreRefused(String suite) throws Exception {
        int port = serveEc();
        assertThrows(IOException.class, () -> handshake(port, "TLSv1.2", suite), suite + " must be refused");
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"})
    void ecdheAeadSuitesUnderTls12AreAccepted(String suite) throws Exception {
        SSLSession s = handshake(serveEc(), "TLSv1.2", suite);
        assertEquals("TLSv1.2", s.getProtocol());
        assertEquals(suite, s.getCipherSuite());
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"})
    void tls13IsAccepted(String suite) throws Exception {
        SSLSession s = handshake(serveEc(), "TLSv1.3", suite);
        assertEquals("TLSv1.3", s.getProtocol());
        assertEquals(suite, s.getCipherSuite());
    }

    @Test
    void aConfiguredRsaCertificateServesEcdheRsaAeadButNotCbc() throws Exception {
        int port = serve(rsaMaterial(), HttpLimits.DEFAULT);
        assertEquals("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                handshake(port, "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256").getCipherSuite());
        assertEquals("TLSv1.3", handshake(port, "TLSv1.3", "TLS_AES_256_GCM_SHA384").getProtocol());
        assertThrows(IOException.class, () -> handshake(port, "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"));
        assertThrows(IOException.class, () -> handshake(port, "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"));
    }

    @Test
    void http2IsNotNegotiatedByAlpn() throws Exception {
        SSLSession s;
        int port = serveEc();
        SSLSocket sock = (SSLSocket) TrustAnyServer.context().getSocketFactory().createSocket("127.0.0.1", port);
        try (sock) {
            SSLParameters p = sock.getSSLParameters();
            p.setApplicationProtocols(new String[] {"h2", "http/1.1"});
            sock.setSSLParameters(p);
            sock.startHandshake();
            s = sock.getSession();
            String chosen = sock.getApplicationProtocol();
            assertTrue(chosen == null || chosen.isEmpty(), "no ALPN protocol chosen, got " + chosen);
        }
        assertNotNull(s);
    }

    @Test
    void theClientOffersOnlyThePolicy() throws Exception {
        TlsMaterial tls = TlsMaterial.loadOrCreate(tmp.resolve("ec"), List.of("127.0.0.1"));
        // A server that speaks only a CBC suite: the Berth client does not offer it, so no connection.
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", PemFiles.privateKey(tls.keyFile(), "key"), new char[0], new X509Certificate[] {tls.certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        try (SSLServerSocket weak = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 5,
                InetAddress.getLoopbackAddress())) {
            weak.setEnabledProtocols(new String[] {"TLSv1.2"});
            weak.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"});
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try (Socket c = weak.accept()) {
                    c.setSoTimeout(10_000);
                    ((SSLSocket) c).startHandshake();
                    c.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                    c.getInputStream().read();
                } catch (IOException expected) {
                    // the handshake fails: no common suite
                }
            });
            HttpClientOptions options = ClientTrust.pinned(tls.fingerprint())
                    .clientOptions(URI.create("https://127.0.0.1:" + weak.getLocalPort()));
            HttpClientAgent client = vertx.createHttpClient(options);
            try {
                Exception e = assertThrows(Exception.class, () -> await(client.request(HttpMethod.GET, "/")
                        .compose(r -> r.send()).compose(r -> r.body())));
                assertTrue(String.valueOf(e.getCause()).toLowerCase().contains("ssl")
                        || String.valueOf(e.getCause()).toLowerCase().contains("handshake")
                        || String.valueOf(e.getCause()).toLowerCase().contains("closed"), String.valueOf(e.getCause()));
            } finally {
                await(client.close());
            }
            acceptor.join(15_000);
        }
        HttpClientOptions o = ClientTrust.pinned(tls.fingerprint()).clientOptions(URI.create("https://127.0.0.1:1"));
        assertEquals(List.copyOf(TlsPolicy.CIPHER_SUITES), List.copyOf(o.getEnabledCipherSuites()));
        assertEquals(Set.copyOf(TlsPolicy.PROTOCOLS), o.getEnabledSecureTransportProtocols());
    }

    @Test
    void tlsConnectionsThatNeverFinishTheirHeadersOrHandshakeAreClosedAfterTheHeaderTimeout() throws Exception {
        Duration header = Duration.ofMillis(300);
        int port = serve(TlsMaterial.loadOrCreate(tmp.resolve("ec"), List.of("127.0.0.1")),
                new HttpLimits(header, Duration.ofSeconds(30), 1024));
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            SSLSocket s = (SSLSocket) TrustAnyServer.context().getSocketFactory().createSocket("127.0.0.1", port);
            s.startHandshake();
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            slow.add(s);
        }
        for (int i = 0; i < 5; i++) {
            slow.add(new Socket("127.0.0.1", port)); // TCP only: never starts the TLS handshake
        }
        for (Socket s : slow) {
            s.setSoTimeout((int) header.multipliedBy(10).toMillis());
            long start = System.nanoTime();
            try (s; InputStream in = s.getInputStream()) {
                int got = readToEnd(in);
                assertTrue(got >= 0, "the server closed the connection");
            } catch (SocketTimeoutException stillOpen) {
                throw new AssertionError("still open after 10x the header timeout (" + Duration.ofNanos(System.nanoTime() - start) + ")");
            }
        }
    }

    /** Reads until EOF (or a reset: also a close); the bytes read. */
    static int readToEnd(InputStream in) throws IOException {
        int n = 0;
        try {
            while (in.read() >= 0) {
                n++;
            }
        } catch (javax.net.ssl.SSLException | java.net.SocketException closed) {
            // closed with an alert or a reset
        }
        return n;
    }

    private TlsMaterial rsaMaterial() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        KeyPair pair = gen.generateKeyPair();
        X500Name name = new X500Name("CN=rsa-test");
        Instant now = Instant.now();
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name,
                BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minusSeconds(3600)), Date.from(now.plusSeconds(86400)),
                name, pair.getPublic()).build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
        Path certFile = tmp.resolve("rsa.crt");
        Path keyFile = tmp.resolve("rsa.key");
        Files.writeString(certFile, PemFiles.pem(cert));
        Files.writeString(keyFile, PemFiles.pem(pair.getPrivate()));
        return TlsMaterial.load(certFile, keyFile);
    }
}
