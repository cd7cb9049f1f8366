package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.berth.app.testing.Cli;
import dev.berth.app.testing.Cluster;
import dev.berth.host.testing.Root;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The controller's TCP API as an attacker and a careless client meet it: TLS, tokens, bad input. */
class ControllerSecurityIT {
    @TempDir
    Path dir;
    Cluster cluster;
    HttpClient http;

    @BeforeEach
    void up() throws Exception {
        Root.require();
        cluster = new Cluster(dir);
        cluster.startController();
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(cluster.certificate())) {
            trust.setCertificateEntry("berth", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        http = HttpClient.newBuilder().sslContext(ssl).build();
    }

    @AfterEach
    void down() throws Exception {
        cluster.close();
    }

    private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(cluster.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String signed(byte[] key, String subject, Instant issued, Instant expires) throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(subject).issueTime(Date.from(issued))
                .expirationTime(Date.from(expires)).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(key));
        return jwt.serialize();
    }

    @Test
    void tokensAreRequiredAndChecked() throws Exception {
        HttpResponse<String> none = send("GET", "/v1/volumes", null, null);
        assertEquals(401, none.statusCode(), none.body());
        assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
        assertTrue(none.body().contains("\"code\":\"unauthenticated\""), none.body());

        byte[] key = Files.readAllBytes(dir.resolve("ctl/state/auth/hs256.key"));
        Instant now = Instant.now();
        String expired = signed(key, "admin", now.minusSeconds(7200), now.minusSeconds(3600));
        assertEquals(401, send("GET", "/v1/volumes", expired, null).statusCode());
        byte[] otherKey = new byte[32];
        new java.security.SecureRandom().nextBytes(otherKey);
        String forged = signed(otherKey, "admin", now, now.plusSeconds(600));
        assertEquals(401, send("GET", "/v1/volumes", forged, null).statusCode());
        assertEquals(401, send("GET", "/v1/volumes", "not.a.jwt", null).statusCode());

        assertEquals(200, send("GET", "/v1/volumes", cluster.token("admin"), null).statusCode());
        assertEquals(200, send("GET", "/v1/health", null, null).statusCode(), "health needs no token");
    }

    @Test
    void aTokenForOneServiceIsRefusedOnAnother() throws Exception {
        String agent = cluster.token("agent-x");
        HttpResponse<String> ok = send("POST", "/v1/volumes", agent, "{\"name\":\"mine\",\"service\":\"local\"}");
        assertEquals(201, ok.statusCode(), ok.body());
        HttpResponse<String> other = send("POST", "/v1/volumes", agent, "{\"name\":\"theirs\",\"service\":\"scratch\"}");
        assertEquals(403, other.statusCode(), other.body());
        assertTrue(other.body().contains("\"code\":\"forbidden\""), other.body());
        assertEquals(403, send("GET", "/v1/volumes?service=scratch", agent, null).statusCode());
        assertEquals(201, send("POST", "/v1/volumes", cluster.token("admin"),
                "{\"name\":\"theirs\",\"service\":\"scratch\"}").statusCode());
        assertEquals(403, send("GET", "/v1/volumes/theirs", agent, null).statusCode());
        HttpResponse<String> listed = send("GET", "/v1/volumes", agent, null);
        assertTrue(listed.body().contains("mine") && !listed.body().contains("theirs"), listed.body());
        HttpResponse<String> stranger = send("GET", "/v1/volumes", cluster.token("mallory"), null);
        assertEquals("[]", stranger.body(), "a subject allowed nowhere sees nothing");
        assertEquals(403, send("POST", "/v1/volumes", cluster.token("mallory"), "{\"name\":\"m\"}").statusCode());
    }

    @Test
    void plainHttpToTheTlsPortIsRefused() throws Exception {
        try (Socket s = new Socket("127.0.0.1", cluster.port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] answer = s.getInputStream().readAllBytes();
            assertTrue(!new String(answer, StandardCharsets.ISO_8859_1).contains("200 OK"),
                    "a plain HTTP request must never be served");
        }
        Cli.Result cli = Cli.raw("volume", "ls", "--host", "http://127.0.0.1:" + cluster.port, "--token", cluster.token("admin"));
        assertTrue(cli.code() != 0, cli.toString());
    }

    @ParameterizedTest
    @CsvSource({"/v1/volumes/a%2Fb", "/v1/volumes/a..b", "/v1/volumes/-rf", "/v1/control/volumes/..%2F..",
            "/v1/control/volumes/ABC", "/v1/control/nodes/a%2Fb/state"})
    void badIdsAre400(String path) throws Exception {
        HttpResponse<String> r = send("GET", path, cluster.token("admin"), null);
        assertEquals(400, r.statusCode(), path + " -> " + r.body());
        assertTrue(r.body().contains("\"hint\""), r.body());
    }

    @Test
    void idsOf4KiBAre400() throws Exception {
        String id = "a".repeat(4096);
        for (String path : List.of("/v1/volumes/" + id, "/v1/control/volumes/" + id, "/v1/control/nodes/" + id + "/state")) {
            HttpResponse<String> r = send("GET", path, cluster.token("admin"), null);
            assertEquals(400, r.statusCode(), path.substring(0, 30) + " -> " + r.body());
        }
    }

    @Test
    void badJsonOnEveryRouteIs400AndChangesNothing() throws Exception {
        String admin = cluster.token("admin");
        assertEquals(201, send("POST", "/v1/volumes", admin, "{\"name\":\"v\"}").statusCode());
        String id = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(send("GET", "/v1/volumes/v", admin, null).body()).path("id").asText();
        String before = send("GET", "/v1/volumes", admin, null).body();
        List<String[]> routes = List.of(
                new String[] {"POST", "/v1/volumes"},
                new String[] {"POST", "/v1/volumes/v/mount"},
                new String[] {"POST", "/v1/volumes/v/unmount"},
                new String[] {"POST", "/v1/control/nodes/n1/register"},
                new String[] {"POST", "/v1/control/resolve"},
                new String[] {"POST", "/v1/control/volumes/" + id + "/claim"},
                new String[] {"POST", "/v1/control/volumes/" + id + "/release"},
                new String[] {"PUT", "/v1/control/nodes/n1/volumes/" + id + "/attachment"},
                new String[] {"POST", "/v1/control/nodes/n1/volumes/" + id + "/refs"},
                new String[] {"POST", "/v1/control/nodes/n1/volumes/" + id + "/refs/remove"},
                new String[] {"POST", "/v1/control/nodes/n1/volumes/" + id + "/mounted"});
        for (String[] route : routes) {
            for (String body : List.of("{not json", "[]", "", "{\"unknownField\":1}", "null")) {
                HttpResponse<String> r = send(route[0], route[1], admin, body);
                assertEquals(400, r.statusCode(), route[0] + " " + route[1] + " with '" + body + "' -> " + r.body());
                assertTrue(r.body().contains("\"code\":\"invalid_argument\"") && r.body().contains("\"hint\""), r.body());
            }
        }
        assertEquals(before, send("GET", "/v1/volumes", admin, null).body(), "nothing changed");
        assertEquals(204, send("GET", "/v1/control/volumes/" + id + "/claim", admin, null).statusCode(), "no claim taken");
    }

    @Test
    void localSocketIsRootOnly() throws Exception {
        assertEquals(PosixFilePermissions.fromString("rw-------"),
                Files.getPosixFilePermissions(dir.resolve("ctl/berth.sock")));
        assertEquals(PosixFilePermissions.fromString("rw-------"),
                Files.getPosixFilePermissions(dir.resolve("ctl/state/auth/hs256.key")));
    }

    @Test
    void untrustedCertificateIsRefusedByTheCli() throws Exception {
        Cli.Result wrong = Cli.raw("volume", "ls", "--host", cluster.url(), "--token", cluster.token("admin"),
                "--fingerprint", "sha256:" + "00".repeat(32));
        assertEquals(6, wrong.code(), wrong.toString());
        assertTrue(wrong.err().contains(cluster.fingerprint()), wrong.toString());
        Path knownHosts = dir.resolve("known_hosts");
        Cli.Result tofu = Cli.raw("volume", "ls", "--host", cluster.url(), "--token", cluster.token("admin"),
                "--known-hosts", knownHosts.toString());
        assertEquals(0, tofu.code(), tofu.toString());
        assertTrue(Files.readString(knownHosts).contains(cluster.fingerprint()), "first use recorded the certificate");
    }
}
