package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.app.testing.Cli;
import dev.berth.app.testing.ServeProcess;
import dev.berth.host.ProcessRunner;
import dev.berth.protocols.rest.security.TrustAnyServer;
import dev.berth.protocols.docker.PluginClient;
import dev.berth.protocols.http.Json;
import dev.berth.protocols.rest.security.TlsMaterial;
import dev.berth.protocols.rest.security.TokenIssuer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three listeners of a real `berth serve` (TLS TCP API, local REST socket, Docker plugin
 * socket) as a hostile client meets them: TLS versions and suites (openssl), unfinished headers,
 * idle connections, HTTP/2, odd requests, duplicate JSON keys, log forging, token lifetime. The
 * daemon runs with http.headerTimeout=2s and http.idleTimeout=3s; timings are asserted as bounds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class WireHardeningIT {
    // Short for the test, yet not so short that a loaded machine trips over them.
    static final Duration HEADER = Duration.ofSeconds(2);
    static final Duration IDLE = Duration.ofSeconds(3);
    static final Duration LONG = Duration.ofSeconds(30);

    Path dir;
    ServeProcess serve;
    int port;
    Path socket;
    Path dockerSocket;
    Path log;

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        dir = tmp;
        port = freePort();
        socket = dir.resolve("berth.sock");
        dockerSocket = dir.resolve("docker.sock");
        log = dir.resolve("serve.log");
        serve = startServe(dir.resolve("main"), port, "");
    }

    @AfterAll
    void stop() throws Exception {
        if (serve != null) {
            serve.close();
        }
    }

    ServeProcess startServe(Path home, int tcpPort, String apiExtra) throws Exception {
        Files.createDirectories(home);
        boolean main = home.endsWith("main");
        Path sock = main ? socket : home.resolve("berth.sock");
        Path config = home.resolve("config.yml");
        Files.writeString(config, """
                role: all-in-one
                node: wire
                stateDir: %1$s/state
                socket: %2$s
                mountRoot: %1$s/volumes
                api:
                  listen: 127.0.0.1:%3$d
                %4$s
                http:
                  headerTimeout: 2s
                  idleTimeout: 3s
                  maxConnections: 256
                docker:
                  enabled: %5$s
                  socket: %6$s
                volumes:
                  defaultService: scratch
                services:
                  scratch:
                    driver: dir
                    options: {root: %1$s/dirs}
                """.formatted(home, sock, tcpPort, apiExtra, main, main ? dockerSocket : home.resolve("docker.sock")));
        return ServeProcess.start(config, main ? log : home.resolve("serve.log"), Map.of()).awaitReady(sock, Duration.ofSeconds(90));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    String token(Duration ttl) {
        return TokenIssuer.issueHs256(dir.resolve("main/state/auth/hs256.key"), "admin", ttl, Map.of());
    }

    /** The log written since {@code offset} (its length before the test acted). */
    String logSince(long offset) throws IOException {
        String all = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        return all.substring((int) Math.min(offset, all.length()));
    }

    long logLength() throws IOException {
        return Files.size(log);
    }

    static void assertNoSevere(String logPart) {
        for (String line : logPart.split("\n", -1)) {
            assertFalse(line.contains(" SEVERE ") || line.startsWith("\tat ") || line.contains(" WARNING "),
                    "no SEVERE, no WARNING, no stack trace: " + line + "\n--- log:\n" + logPart);
        }
    }

    // --- TLS, as openssl sees it (the issue's reproduction) -----------------------------------------

    static final ProcessRunner RUNNER = new ProcessRunner();

    /** openssl s_client with {@code args}: the negotiated "Protocol / Cipher" or null when the handshake failed. */
    static String handshake(int port, String... args) {
        List<String> argv = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", "localhost"));
        argv.addAll(List.of(args));
        ProcessRunner.Result r = RUNNER.runAllowingExit(argv, Duration.ofSeconds(30), Set.of(0, 1));
        String out = r.stdout() + r.stderr();
        var m = java.util.regex.Pattern.compile("New, (TLSv[0-9.]+), Cipher is (\\S+)").matcher(out);
        if (r.exitCode() == 0 && m.find() && !m.group(2).equals("(NONE)")) {
            return m.group(1) + " " + m.group(2) + (out.contains("No ALPN negotiated") ? " no-alpn" : "")
                    + (out.contains("ALPN protocol: h2") ? " alpn-h2" : "");
        }
        return null;
    }

    @Test
    void theTcpApiSpeaksOnlyTls13AndEcdheAeadSuites() {
        // refused: CBC with SHA-1 MAC (the issue's command), CBC with SHA-256, TLS 1.1 and 1.0
        assertEquals(null, handshake(port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"));
        assertEquals(null, handshake(port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384"));
        assertEquals(null, handshake(port, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"));
        assertEquals(null, handshake(port, "-tls1", "-cipher", "DEFAULT@SECLEVEL=0"));
        // accepted
        assertEquals("TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 no-alpn",
                handshake(port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"));
        assertEquals("TLSv1.2 ECDHE-ECDSA-CHACHA20-POLY1305 no-alpn",
                handshake(port, "-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"));
        String tls13 = handshake(port, "-tls1_3");
        assertNotNull(tls13);
        assertTrue(tls13.startsWith("TLSv1.3 TLS_"), tls13);
        // no HTTP/2 by ALPN either
        String alpn = handshake(port, "-alpn", "h2");
        assertNotNull(alpn);
        assertTrue(alpn.endsWith("no-alpn"), alpn);
    }

    @Test
    void aConfiguredRsaCertificateRefusesStaticRsaKeyExchangeAndCbc() throws Exception {
        Path home = dir.resolve("rsa");
        Files.createDirectories(home);
        Path cert = home.resolve("server.crt");
        Path key = home.resolve("server.key");
        RUNNER.run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
                "-out", cert.toString(), "-days", "2", "-subj", "/CN=berth-rsa", "-addext", "subjectAltName=IP:127.0.0.1"),
                Duration.ofSeconds(60));
        int rsaPort = freePort();
        try (ServeProcess rsa = startServe(home, rsaPort, "  cert: " + cert + "\n  key: " + key)) {
            assertEquals("TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 no-alpn",
                    handshake(rsaPort, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"));
            assertEquals(null, handshake(rsaPort, "-tls1_2", "-cipher", "AES128-GCM-SHA256"), "static RSA key exchange");
            assertEquals(null, handshake(rsaPort, "-tls1_2", "-cipher", "AES256-SHA"), "static RSA with CBC");
            assertEquals(null, handshake(rsaPort, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA"));
            assertEquals(null, handshake(rsaPort, "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"), "no finite-field DHE");
            assertNotNull(handshake(rsaPort, "-tls1_3"));
            assertEquals(TlsMaterial.load(cert, key).fingerprint().length(), 71);
        }
    }

    // --- timeouts on every listener -----------------------------------------------------------------

    SSLSocket tls() throws Exception {
        SSLSocket s = (SSLSocket) TrustAnyServer.context().getSocketFactory().createSocket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout((int) LONG.toMillis());
        s.startHandshake();
        return s;
    }

    /** True when the server closed {@code s} within {@code max}. */
    static boolean closedWithin(Socket s, Duration max) throws IOException {
        s.setSoTimeout((int) max.toMillis());
        try (InputStream in = s.getInputStream()) {
            while (in.read() >= 0) {
                // drain whatever comes before the close
            }
            return true;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        } finally {
            s.close();
        }
    }

    @Test
    void unfinishedRequestsAreClosedAfterTheHeaderTimeoutOnEveryListener() throws Exception {
        long before = logLength();
        List<Socket> tcp = new ArrayList<>();
        List<Unix> unix = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            SSLSocket s = tls();
            s.getOutputStream().write("GET /v1/health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            tcp.add(s);
            unix.add(Unix.connect(socket).send("GET /v1/health HTTP/1.1\r\nHost: x\r\n"));
            unix.add(Unix.connect(dockerSocket).send("POST /Plugin.Activate HTTP/1.1\r\nHost: \r\n"));
        }
        for (int i = 0; i < 5; i++) {
            tcp.add(new Socket("127.0.0.1", port)); // never starts the TLS handshake
        }
        Duration bound = HEADER.multipliedBy(10);
        for (Socket s : tcp) {
            assertTrue(closedWithin(s, bound), "a TCP connection closed within 10x the header timeout");
        }
        for (Unix u : unix) {
            assertNotNull(u.awaitClosed(bound), "a unix connection closed within 10x the header timeout");
            assertEquals("", u.received(), "an unfinished request is never answered");
            u.close();
        }
        // still serving everyone else
        try (PluginClient plugin = PluginClient.connect(dockerSocket)) {
            assertEquals(200, plugin.call("/Plugin.Activate", null).status());
        }
        assertNoSevere(logSince(before));
    }

    @Test
    void idleConnectionsAreClosedAndClientsSimplyReconnect() throws Exception {
        try (Unix u = Unix.connect(dockerSocket)) {
            u.send("POST /Plugin.Activate HTTP/1.1\r\nHost: \r\nContent-Length: 0\r\n\r\n");
            assertTrue(u.awaitText("VolumeDriver", LONG).startsWith("HTTP/1.1 200"), u.received());
            assertNotNull(u.awaitClosed(IDLE.multipliedBy(10)), "idle after its reply: closed");
        }
        try (SSLSocket s = tls()) {
            s.getOutputStream().write("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] b = new byte[512];
            int n = s.getInputStream().read(b);
            assertTrue(new String(b, 0, n, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"));
            assertTrue(closedWithin(s, IDLE.multipliedBy(10)), "an idle TLS connection is closed");
        }
        // A kept-alive client (as dockerd is) gets its idle connection closed and just opens another.
        try (PluginClient plugin = PluginClient.connect(dockerSocket)) {
            assertEquals(200, plugin.call("/Plugin.Activate", null).status());
            Thread.sleep(IDLE.multipliedBy(2).toMillis());
            assertEquals(200, plugin.call("/VolumeDriver.List", "{}").status());
        }
    }

    @Test
    void aSlowButValidClientIsServed() throws Exception {
        String request = "POST /Plugin.Activate HTTP/1.1\r\nHost: \r\nContent-Length: 0\r\n\r\n";
        try (Unix u = Unix.connect(dockerSocket)) {
            for (char c : request.toCharArray()) { // ~60 bytes over ~0.6 s, within the 2 s header timeout
                u.send(String.valueOf(c));
                Thread.sleep(10);
            }
            assertTrue(u.awaitText("VolumeDriver", LONG).startsWith("HTTP/1.1 200"), u.received());
        }
    }

    // --- what is served and how refusals look -------------------------------------------------------

    @Test
    void http2IsNotServedOnTheUnixSockets() throws Exception {
        for (Path s : List.of(socket, dockerSocket)) {
            try (Unix u = Unix.connect(s)) {
                u.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
                u.awaitClosed(LONG);
                String answer = u.received();
                assertFalse(answer.length() >= 4 && answer.charAt(3) == 4, "no HTTP/2 SETTINGS frame on " + s);
                assertTrue(answer.isEmpty() || answer.startsWith("HTTP/"), answer);
            }
            try (Unix u = Unix.connect(s)) {
                u.send("GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                        + "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n");
                String answer = u.awaitText("}", LONG);
                assertTrue(answer.startsWith("HTTP/1.1 ") && !answer.startsWith("HTTP/1.1 101"), answer);
            }
        }
    }

    static final List<String> ODD = List.of(
            "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET x HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /v1/volumes?service=%zz HTTP/1.1\r\nHost: x\r\n\r\n",
            "BREW /v1/volumes HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET / HTTP/1.1\r\nno colon\r\n\r\n");

    /** The JSON body of an error reply to {@code request} on a unix socket. */
    static JsonNode unixError(Path s, String request) throws Exception {
        try (Unix u = Unix.connect(s)) {
            u.send(request);
            return errorJson(u.awaitText("}", LONG));
        }
    }

    static JsonNode errorJson(String answer) throws Exception {
        assertTrue(answer.matches("(?s)HTTP/1\\.[01] [45]\\d\\d .*"), answer);
        assertTrue(answer.toLowerCase(Locale.ROOT).contains("content-type: application/"), answer);
        return Json.MAPPER.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
    }

    JsonNode tlsError(String request) throws Exception {
        try (SSLSocket s = tls()) {
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            StringBuilder sb = new StringBuilder();
            InputStream in = s.getInputStream();
            byte[] b = new byte[4096];
            int n;
            while (!sb.toString().contains("}") && (n = in.read(b)) > 0) {
                sb.append(new String(b, 0, n, StandardCharsets.ISO_8859_1));
            }
            return errorJson(sb.toString());
        }
    }

    @Test
    void oddRequestsGetEachProtocolsErrorShapeAndNoSevereLog() throws Exception {
        long before = logLength();
        String bearer = "Authorization: Bearer " + token(Duration.ofHours(1)) + "\r\n";
        for (String request : ODD) {
            JsonNode rest = unixError(socket, request).path("error");
            assertFalse(rest.path("code").asText().isEmpty() || rest.path("message").asText().isEmpty(), request + rest);
            assertFalse(unixError(dockerSocket, request).path("Err").asText().isEmpty(), request);
            JsonNode tcp = tlsError(request.replaceFirst("\r\n", "\r\n" + bearer)).path("error");
            assertFalse(tcp.path("code").asText().isEmpty() || tcp.path("message").asText().isEmpty(), request + tcp);
        }
        // clients that go away in the middle of a body
        for (int i = 0; i < 3; i++) {
            try (Unix u = Unix.connect(socket)) {
                u.send("POST /v1/volumes HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"na");
                Thread.sleep(50);
            }
            try (Unix u = Unix.connect(dockerSocket)) {
                u.send("POST /VolumeDriver.Create HTTP/1.1\r\nHost: \r\nContent-Length: 100\r\n\r\n{\"Na");
                Thread.sleep(50);
            }
            try (SSLSocket s = tls()) {
                s.getOutputStream().write(("POST /v1/volumes HTTP/1.1\r\nHost: x\r\n" + bearer
                        + "Content-Length: 100\r\n\r\n{\"na").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                Thread.sleep(50);
            }
        }
        Thread.sleep(500);
        assertNoSevere(logSince(before));
    }

    @Test
    void duplicateJsonKeysAreRefusedAndNothingIsCreated() throws Exception {
        String dup = "{\"name\":\"dup-a\",\"name\":\"dup-b\"}";
        String request = "POST /v1/volumes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + dup.length() + "\r\n\r\n" + dup;
        JsonNode local = unixError(socket, request).path("error");
        assertEquals("invalid_argument", local.path("code").asText());
        assertTrue(local.path("message").asText().contains("field 'name' appears more than once"), local.toString());
        JsonNode tcp = tlsError(request.replaceFirst("\r\n", "\r\nAuthorization: Bearer " + token(Duration.ofHours(1)) + "\r\n"))
                .path("error");
        assertTrue(tcp.path("message").asText().contains("appears more than once"), tcp.toString());
        try (PluginClient plugin = PluginClient.connect(dockerSocket)) {
            PluginClient.Reply r = plugin.call("/VolumeDriver.Create", "{\"Name\":\"dup-c\",\"Name\":\"dup-d\"}");
            assertEquals(400, r.status(), r.body());
            String listed = plugin.call("/VolumeDriver.List", "{}").body();
            assertFalse(listed.contains("dup-"), "nothing was created: " + listed);
        }
    }

    @Test
    void controlCharactersInNamesCannotForgeLogLines() throws Exception {
        long before = logLength();
        // short enough that the name rules quote it whole (they cut names at 40 characters)
        String forged = "SEVERE dev.berth.Forged: FORGED";
        try (PluginClient plugin = PluginClient.connect(dockerSocket)) {
            for (String name : List.of("a\n" + forged, "b\r" + forged, "c\u001b[2K\r" + forged, "d\u2028" + forged)) {
                PluginClient.Reply r = plugin.call("/VolumeDriver.Create", Json.write(Map.of("Name", name)));
                assertEquals(400, r.status(), r.body());
            }
            plugin.send(io.vertx.core.http.HttpMethod.POST, "/VolumeDriver.Nope%0A" + forged.replace(" ", "%20"), "{}");
        }
        try (Unix u = Unix.connect(dockerSocket)) { // a raw CR inside the request line
            u.send("POST /x\r" + forged + " HTTP/1.1\r\nHost: \r\n\r\n");
            u.awaitText("}", LONG);
        }
        Thread.sleep(300);
        String written = logSince(before);
        assertTrue(written.contains("'a\\nSEVERE dev.berth.Forged: FORGED'"), written);
        assertTrue(written.contains("'b\\rSEVERE dev.berth.Forged: FORGED'"), written);
        assertTrue(written.contains("'c\\u001b[2K\\rSEVERE dev.berth.Forged: FORGED'"), written);
        assertTrue(written.contains("'d\\u2028SEVERE dev.berth.Forged: FORGED'"), written);
        for (String line : written.split("\n", -1)) {
            assertFalse(line.startsWith("SEVERE") || line.startsWith("FORGED"), "a forged line: " + line);
            assertFalse(line.contains("dev.berth.Forged") && !line.contains("refused"), "a forged line: " + line);
        }
        assertFalse(written.contains("\r") || written.contains("\u001b") || written.contains("\u2028"),
                "no raw control characters in the log");
    }

    @Test
    void tokensThatLiveTooLongAreRefused() throws Exception {
        Instant now = Instant.now();
        String forever = TokenIssuer.issueHs256(dir.resolve("main/state/auth/hs256.key"), "admin", Duration.ofDays(999_999), Map.of());
        JsonNode refused = tlsError("GET /v1/volumes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + forever + "\r\n\r\n")
                .path("error");
        assertEquals("unauthenticated", refused.path("code").asText(), refused.toString());
        assertTrue(refused.path("message").asText().contains("maximum token lifetime of 30d"), refused.toString());
        try (SSLSocket s = tls()) {
            s.getOutputStream().write(("GET /v1/volumes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + token(Duration.ofDays(30)) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] b = new byte[256];
            int n = s.getInputStream().read(b);
            assertTrue(new String(b, 0, n, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"), "30 days is fine");
        }
        Cli.Result cli = Cli.raw("token", "new", "--subject", "x", "--ttl", "999999999d",
                "--key", dir.resolve("main/state/auth/hs256.key").toString(), "--config", dir.resolve("main/config.yml").toString());
        assertEquals(2, cli.code(), cli.toString());
        assertTrue(cli.err().contains("longer than the maximum token lifetime of 30d"), cli.err());
        assertTrue(now.isBefore(Instant.now().plusSeconds(1)));
    }

    /** A raw unix-socket client: unfinished or odd bytes that no HTTP client sends. */
    static final class Unix implements AutoCloseable {
        private final SocketChannel ch;
        private final StringBuilder got = new StringBuilder();
        private boolean closed;

        private Unix(SocketChannel ch) {
            this.ch = ch;
        }

        static Unix connect(Path s) throws IOException {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(s));
            ch.configureBlocking(false);
            return new Unix(ch);
        }

        Unix send(String text) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            return this;
        }

        boolean poll() {
            if (closed) {
                return true;
            }
            ByteBuffer b = ByteBuffer.allocate(65536);
            try {
                int n;
                while ((n = ch.read(b)) > 0) {
                    b.flip();
                    got.append(StandardCharsets.ISO_8859_1.decode(b));
                    b.clear();
                }
                closed = n < 0;
            } catch (IOException reset) {
                closed = true;
            }
            return closed;
        }

        Duration awaitClosed(Duration max) throws InterruptedException {
            long start = System.nanoTime();
            while (System.nanoTime() - start < max.toNanos()) {
                if (poll()) {
                    return Duration.ofNanos(System.nanoTime() - start);
                }
                Thread.sleep(10);
            }
            return null;
        }

        String awaitText(String marker, Duration max) throws InterruptedException {
            long start = System.nanoTime();
            while (System.nanoTime() - start < max.toNanos() && !got.toString().contains(marker)) {
                if (poll() && !got.toString().contains(marker)) {
                    break;
                }
                Thread.sleep(10);
            }
            return got.toString();
        }

        String received() {
            poll();
            return got.toString();
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
