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
import dev.berth.app.testing.ServeProcess;
import dev.berth.app.testing.Sys;
import dev.berth.protocols.docker.PluginClient;
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
        Sys.cleanUp(dir);
    }

    private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(cluster.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A PUT attachment body with node a's current grant for {@code id} (from its state). */
    private String granted(String token, String id, String attachment) throws Exception {
        HttpResponse<String> state = send("GET", "/v1/control/nodes/a/state", token, null);
        String grant = new com.fasterxml.jackson.databind.ObjectMapper().readTree(state.body()).path("claims").path(id).toString();
        return "{\"grant\":" + grant + ",\"attachment\":" + attachment + "}";
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
    void onlyThatNodesAgentMaySayItFrozeAVolume() throws Exception {
        String admin = cluster.token("admin");
        assertEquals(201, send("POST", "/v1/volumes", admin, "{\"name\":\"frz\",\"service\":\"local\"}").statusCode());
        for (String[] call : List.of(
                new String[] {"/v1/snapshots", "{\"volume\":\"frz\",\"name\":\"s\",\"frozenBy\":\"n1\"}"},
                new String[] {"/v1/volumes", "{\"name\":\"frz2\",\"service\":\"local\",\"fromVolume\":\"frz\",\"frozenBy\":\"n1\"}"})) {
            HttpResponse<String> user = send("POST", call[0], admin, call[1]);
            assertEquals(403, user.statusCode(), user.body());
            assertTrue(user.body().contains("frozenBy=n1"), user.body());
            HttpResponse<String> otherNode = send("POST", call[0], cluster.nodeToken("n2"), call[1]);
            assertEquals(403, otherNode.statusCode(), otherNode.body());
        }
        assertEquals("[]", send("GET", "/v1/snapshots?volume=frz", admin, null).body(), "nothing was copied");
        assertEquals(404, send("GET", "/v1/volumes/frz2", admin, null).statusCode(), "nothing was created");
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
        String token = path.startsWith("/v1/control") ? cluster.nodeToken("n1") : cluster.token("admin");
        HttpResponse<String> r = send("GET", path, token, null);
        assertEquals(400, r.statusCode(), path + " -> " + r.body());
        assertTrue(r.body().contains("\"hint\""), r.body());
    }

    @Test
    void idsOf4KiBAre400() throws Exception {
        String id = "a".repeat(4096);
        for (String path : List.of("/v1/volumes/" + id, "/v1/control/volumes/" + id, "/v1/control/nodes/" + id + "/state")) {
            String token = path.startsWith("/v1/control") ? cluster.nodeToken("n1") : cluster.token("admin");
            HttpResponse<String> r = send("GET", path, token, null);
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
        String node = cluster.nodeToken("n1");
        for (String[] route : routes) {
            for (String body : List.of("{not json", "[]", "", "{\"unknownField\":1}", "null")) {
                HttpResponse<String> r = send(route[0], route[1], route[1].startsWith("/v1/control") ? node : admin, body);
                assertEquals(400, r.statusCode(), route[0] + " " + route[1] + " with '" + body + "' -> " + r.body());
                assertTrue(r.body().contains("\"code\":\"invalid_argument\"") && r.body().contains("\"hint\""), r.body());
            }
        }
        assertEquals(before, send("GET", "/v1/volumes", admin, null).body(), "nothing changed");
        assertEquals(204, send("GET", "/v1/control/volumes/" + id + "/claim", node, null).statusCode(), "no claim taken");
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

    // ---- /v1/control: node tokens only, each for its own node; service lists on every volume ----

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private String createVolume(String name, String service) throws Exception {
        HttpResponse<String> r = send("POST", "/v1/volumes", cluster.token("admin"),
                "{\"name\":\"" + name + "\",\"service\":\"" + service + "\"}");
        assertEquals(201, r.statusCode(), r.body());
        return JSON.readTree(r.body()).path("id").asText();
    }

    /** Every /v1/control route, for volume {@code id} and node {@code node}, with a valid body: {method, path, body}. */
    private static List<String[]> controlRoutes(String id, String node) {
        String nv = "/v1/control/nodes/" + node + "/volumes/" + id;
        String attachment = "{\"volumeId\":\"" + id + "\",\"device\":\"/dev/loop0\",\"block\":true,\"mountPoint\":\"/tmp/x\"}";
        String grant = "{\"volumeId\":\"" + id + "\",\"node\":\"" + node + "\",\"epoch\":1,\"revision\":1,\"explicit\":true}";
        return List.of(
                new String[] {"POST", "/v1/control/nodes/" + node + "/register",
                        "{\"id\":\"" + node + "\",\"address\":\"evil\",\"version\":\"x\"}"},
                new String[] {"POST", "/v1/control/nodes/" + node + "/heartbeat", null},
                new String[] {"GET", "/v1/control/nodes/" + node + "/state", null},
                new String[] {"POST", "/v1/control/resolve", "{\"name\":\"shared\",\"service\":null}"},
                new String[] {"GET", "/v1/control/volumes", null},
                new String[] {"GET", "/v1/control/volumes/" + id, null},
                new String[] {"GET", "/v1/control/volumes/" + id + "/claim", null},
                new String[] {"POST", "/v1/control/volumes/" + id + "/claim", "{\"node\":\"" + node + "\",\"explicit\":true}"},
                new String[] {"POST", "/v1/control/volumes/" + id + "/release", grant},
                new String[] {"POST", "/v1/control/nodes/" + node + "/grants/lost", "{\"grants\":[" + grant + "]}"},
                new String[] {"POST", "/v1/control/nodes/" + node + "/gave-up", "{\"grant\":" + grant + ",\"what\":\"x\"}"},
                new String[] {"GET", nv + "/attachment", null},
                new String[] {"PUT", nv + "/attachment", "{\"grant\":" + grant + ",\"attachment\":" + attachment + "}"},
                new String[] {"DELETE", nv + "/attachment", null},
                new String[] {"GET", nv + "/refs", null},
                new String[] {"POST", nv + "/refs", "{\"grant\":" + grant + ",\"ref\":\"c1\"}"},
                new String[] {"POST", nv + "/refs/remove", "{\"ref\":\"c1\"}"},
                new String[] {"DELETE", nv + "/refs", null},
                new String[] {"POST", nv + "/mounted", "{\"grant\":" + grant + ",\"attachment\":" + attachment
                        + ",\"ref\":\"c1\",\"filesystem\":\"ext4\"}"});
    }

    private static boolean namesANode(String[] route) {
        return route[1].contains("/nodes/") || route[1].endsWith("/claim") && route[0].equals("POST")
                || route[1].endsWith("/release");
    }

    @Test
    void userAndAdminTokensGet403OnEveryControlRouteNamingRouteAndSubject() throws Exception {
        String id = createVolume("shared", "local");
        String before = send("GET", "/v1/volumes/shared", cluster.token("admin"), null).body();
        for (String subject : List.of("admin", "bob", "agent-a")) {
            String token = cluster.token(subject);
            for (String[] route : controlRoutes(id, "a")) {
                HttpResponse<String> r = send(route[0], route[1], token, route[2]);
                String what = subject + ": " + route[0] + " " + route[1] + " -> " + r.body();
                assertEquals(403, r.statusCode(), what);
                var error = JSON.readTree(r.body()).path("error");
                assertEquals("forbidden", error.path("code").asText(), what);
                assertTrue(error.path("message").asText().contains(route[0] + " " + route[1]), what);
                assertTrue(error.path("message").asText().contains("'" + subject + "'"), what);
                assertTrue(error.path("hint").asText().contains("berth token new --node"), what);
            }
            // Refused before the body is read: a bad body changes nothing about the answer.
            assertEquals(403, send("POST", "/v1/control/volumes/" + id + "/release", token, "{not json").statusCode());
        }
        // Spellings of the same path reach the same guard (the router matches the normalized path).
        for (String path : List.of("/v1//control/volumes", "/v1/control//volumes", "/v1/control/./volumes",
                "/v1/x/../control/volumes", "/v1/%63ontrol/volumes", "/v1/control/volumes/", "/v1/control/volumes?x=1")) {
            HttpResponse<String> r = send("GET", path, cluster.token("admin"), null);
            assertTrue(r.statusCode() == 403 || r.statusCode() == 404 || r.statusCode() == 400, path + " -> " + r.statusCode()
                    + " " + r.body());
        }
        assertEquals("[]", send("GET", "/v1/nodes", cluster.token("admin"), null).body(), "nobody registered");
        assertEquals(before, send("GET", "/v1/volumes/shared", cluster.token("admin"), null).body(), "nothing changed");
    }

    @Test
    void aNodeTokenActsOnlyForItsOwnNode() throws Exception {
        String id = createVolume("shared", "local");
        String a = cluster.nodeToken("a");
        String b = cluster.nodeToken("b");
        assertEquals(200, send("POST", "/v1/control/nodes/a/register", a,
                "{\"id\":\"a\",\"address\":\"host-a\",\"version\":\"1\"}").statusCode());
        HttpResponse<String> claimed = send("POST", "/v1/control/volumes/" + id + "/claim", a,
                "{\"node\":\"a\",\"explicit\":true}");
        assertEquals(200, claimed.statusCode(), claimed.body());
        assertEquals(200, send("POST", "/v1/control/nodes/b/register", b,
                "{\"id\":\"b\",\"address\":\"host-b\",\"version\":\"1\"}").statusCode(), "b may register as itself");

        for (String[] route : controlRoutes(id, "a")) {
            HttpResponse<String> r = send(route[0], route[1], b, route[2]);
            String what = route[0] + " " + route[1] + " -> " + r.body();
            if (!namesANode(route)) {
                assertTrue(r.statusCode() == 200 || r.statusCode() == 204, what);
                continue;
            }
            assertEquals(403, r.statusCode(), what);
            String message = JSON.readTree(r.body()).path("error").path("message").asText();
            assertTrue(message.contains("node 'a'") && message.contains("node 'b'") && message.contains("'agent-b'"), what);
        }
        // The issue's attack: b (or anyone) releasing a's claim so that b can mount it too.
        HttpResponse<String> claim = send("GET", "/v1/control/volumes/" + id + "/claim", a, null);
        assertEquals("a", JSON.readTree(claim.body()).path("node").asText(), "a still holds the volume: " + claim.body());
        assertEquals(409, send("POST", "/v1/control/volumes/" + id + "/claim", b,
                "{\"node\":\"b\",\"explicit\":false}").statusCode(), "b, as itself, is refused: a holds it");
        String nodes = send("GET", "/v1/nodes", cluster.token("admin"), null).body();
        assertTrue(nodes.contains("\"address\":\"host-a\"") && !nodes.contains("evil"), "a's record is a's own: " + nodes);
    }

    @Test
    void aForgedHeartbeatNeverKeepsADeadNodesLeaseAlive() throws Exception {
        String a = cluster.nodeToken("a");
        String b = cluster.nodeToken("b");
        HttpResponse<String> reg = send("POST", "/v1/control/nodes/a/register", a,
                "{\"id\":\"a\",\"address\":\"host-a\",\"version\":\"1\"}");
        assertEquals(200, reg.statusCode(), reg.body());
        long ttlMs = JSON.readTree(reg.body()).path("leaseTtlMs").asLong();
        long start = System.nanoTime();
        long expiredAfterMs = -1;
        int forged = 0;
        java.util.Set<Integer> answers = new java.util.TreeSet<>();
        // a is dead from here on; b hammers a's heartbeat until well past a's lease.
        while ((System.nanoTime() - start) / 1_000_000 < ttlMs + 3000) {
            answers.add(send("POST", "/v1/control/nodes/a/heartbeat", b, null).statusCode());
            forged++;
            var node = JSON.readTree(send("GET", "/v1/nodes", cluster.token("admin"), null).body()).get(0);
            if (node.path("state").asText().equals("expired")) {
                expiredAfterMs = (System.nanoTime() - start) / 1_000_000;
                break;
            }
            Thread.sleep(50);
        }
        assertTrue(expiredAfterMs >= 0, "a's lease must expire although b sent " + forged + " heartbeats for it");
        assertTrue(expiredAfterMs <= ttlMs + 1500, "a's lease expired on schedule (TTL " + ttlMs + " ms), not "
                + expiredAfterMs + " ms after its registration");
        assertTrue(forged > 10, "the forged heartbeats kept coming: " + forged);
        assertEquals(java.util.Set.of(403), answers, "every forged heartbeat was refused");
        assertEquals(404, send("POST", "/v1/control/nodes/a/heartbeat", a, null).statusCode(),
                "a's own heartbeat finds the lease gone: a must register again");
    }

    @Test
    void controlRoutesCheckTheServiceOfEveryVolumeTheyTouch() throws Exception {
        String theirs = createVolume("theirs", "scratch"); // scratch: admin only
        String mine = createVolume("mine", "local");        // local: admin and agent-*
        String x = cluster.nodeToken("x");                  // subject agent-x
        assertEquals(200, send("POST", "/v1/control/nodes/x/register", x,
                "{\"id\":\"x\",\"address\":\"\",\"version\":\"1\"}").statusCode());
        for (String[] route : controlRoutes(theirs, "x")) {
            if (route[1].endsWith("/register") || route[1].endsWith("/heartbeat") || route[1].endsWith("/state")
                    || route[1].endsWith("/resolve") || route[1].equals("/v1/control/volumes")) {
                continue; // no volume id in these; resolve and the list are checked below
            }
            HttpResponse<String> r = send(route[0], route[1], x, route[2]);
            String what = route[0] + " " + route[1] + " -> " + r.body();
            assertEquals(403, r.statusCode(), what);
            assertTrue(r.body().contains("not allowed on service 'scratch'"), what);
        }
        assertEquals(403, send("POST", "/v1/control/resolve", x, "{\"name\":\"theirs\",\"service\":\"scratch\"}").statusCode());
        String listed = send("GET", "/v1/control/volumes", x, null).body();
        assertTrue(listed.contains(mine) && !listed.contains(theirs), listed);
        assertEquals(204, send("GET", "/v1/control/volumes/" + theirs + "/claim", cluster.nodeToken("x", "admin"),
                null).statusCode(), "no claim was taken; the admin's own node token may look");

        // A recorded filesystem becomes a mount type on other nodes: only ones Berth makes are taken.
        String nv = "/v1/control/nodes/x/volumes/" + mine + "/mounted";
        String att = "{\"volumeId\":\"" + mine + "\",\"device\":\"/dev/loop9\",\"block\":true,\"mountPoint\":\"/m\"}";
        HttpResponse<String> tmpfs = send("POST", nv, x, "{\"attachment\":" + att + ",\"ref\":\"c1\",\"filesystem\":\"tmpfs\"}");
        assertEquals(400, tmpfs.statusCode(), tmpfs.body());
        assertTrue(tmpfs.body().contains("'tmpfs' is not supported"), tmpfs.body());

        // The same routes for a volume of an allowed service work, so the 403s above are the service's.
        HttpResponse<String> granted = send("POST", "/v1/control/volumes/" + mine + "/claim", x,
                "{\"node\":\"x\",\"explicit\":true}");
        assertEquals(200, granted.statusCode(), granted.body());
        assertEquals(204, send("POST", "/v1/control/volumes/" + mine + "/release", x, granted.body()).statusCode());
        // A node token's subject still meets the service lists: node-x (the default subject) is not agent-*.
        String plain = cluster.nodeToken("x", "node-x");
        assertEquals(403, send("GET", "/v1/control/volumes/" + mine, plain, null).statusCode());
        assertEquals(403, send("POST", "/v1/control/volumes/" + mine + "/claim", plain, "{\"node\":\"x\",\"explicit\":true}")
                .statusCode());
    }

    @Test
    void aHostileAttachmentRecordNeverBecomesAPathOnTheAgent() throws Exception {
        String id = createVolume("shared", "local");
        Path victim = dir.resolve("victim-xyz");
        Files.createDirectories(victim);
        Sys.Out mounted = Sys.run(List.of("/usr/bin/mount", "-t", "tmpfs", "-o", "size=1m", "berth-victim", victim.toString()));
        assertEquals(0, mounted.code(), mounted.stderr());
        Files.writeString(victim.resolve("precious"), "keep me");
        Path real = dir.resolve("a/volumes/shared");
        String a = cluster.nodeToken("a");
        String dockerId = "d".repeat(64);
        try (ServeProcess agent = cluster.startAgent("a", "fingerprint: " + cluster.fingerprint());
             PluginClient docker = PluginClient.connect(cluster.dockerSocket("a"))) {
            for (boolean block : List.of(true, false)) {
                String plant = "{\"volumeId\":\"" + id + "\",\"device\":\"/dev/loop0\",\"block\":" + block
                        + ",\"mountPoint\":\"" + victim + "\"}";
                String nv = "/v1/control/nodes/a/volumes/" + id + "/attachment";
                // Without the claim a node cannot plant a record at all: no grant, or one that does not hold.
                assertEquals(400, send("PUT", nv, a, plant).statusCode(), "a record without a grant");
                String made = "{\"volumeId\":\"" + id + "\",\"node\":\"a\",\"epoch\":1,\"revision\":1,\"explicit\":true}";
                HttpResponse<String> forged = send("PUT", nv, a, "{\"grant\":" + made + ",\"attachment\":" + plant + "}");
                assertEquals(409, forged.statusCode(), forged.body());
                assertTrue(forged.body().contains("\"fenced\""), forged.body());

                PluginClient.Reply mount = docker.call("/VolumeDriver.Mount", "{\"Name\":\"shared\",\"ID\":\"" + dockerId + "\"}");
                assertEquals(200, mount.status(), mount.body() + "\n" + agent.log());
                assertEquals(real.resolve("data").toString(), mount.json().path("Mountpoint").asText(), "block " + block);
                assertTrue(Sys.mountsUnder(real).contains(real.toString()), "really mounted at the derived path");

                // Holding the claim, a's own node token may write a's records, even a hostile one.
                assertEquals(204, send("PUT", nv, a, granted(a, id, plant)).statusCode(), "a's own node token may write a's records");
                PluginClient.Reply path = docker.call("/VolumeDriver.Path", "{\"Name\":\"shared\"}");
                assertEquals(real.resolve("data").toString(), path.json().path("Mountpoint").asText(), path.body());

                PluginClient.Reply unmount = docker.call("/VolumeDriver.Unmount", "{\"Name\":\"shared\",\"ID\":\"" + dockerId + "\"}");
                assertEquals(200, unmount.status(), unmount.body());
                assertEquals(List.of(victim.toString()), Sys.mountsUnder(dir), "only the victim is still mounted (block " + block + ")");
                assertEquals("keep me", Files.readString(victim.resolve("precious")));
            }
            // Attached explicitly, mounted, then a hostile record: unmount and detach touch only the derived path.
            assertEquals(0, Cli.raw(cluster.onAgent("a", "volume", "attach", "shared")).code());
            assertEquals(0, Cli.raw(cluster.onAgent("a", "volume", "mount", "shared", "--ref", "r1")).code());
            String plant = "{\"volumeId\":\"" + id + "\",\"device\":\"/dev/loop0\",\"block\":true,\"mountPoint\":\"" + victim + "\"}";
            assertEquals(204, send("PUT", "/v1/control/nodes/a/volumes/" + id + "/attachment", a, granted(a, id, plant)).statusCode());
            Cli.Result off = Cli.raw(cluster.onAgent("a", "volume", "unmount", "shared", "--ref", "r1"));
            assertEquals(0, off.code(), off.toString());
            assertEquals(List.of(victim.toString()), Sys.mountsUnder(dir));
            assertEquals(204, send("PUT", "/v1/control/nodes/a/volumes/" + id + "/attachment", a, granted(a, id, plant)).statusCode());
            Cli.Result detach = Cli.raw(cluster.onAgent("a", "volume", "detach", "shared"));
            assertEquals(0, detach.code(), detach.toString());
            assertEquals(List.of(victim.toString()), Sys.mountsUnder(dir));
            assertEquals(List.of(), Sys.loopsUnder(dir), "nothing left attached");
            assertEquals("keep me", Files.readString(victim.resolve("precious")));
        } finally {
            Sys.run(List.of("/usr/bin/umount", victim.toString()));
        }
    }

    @Test
    void anAgentRefusesATokenFileOthersCanReadAndATokenGivenTwice() throws Exception {
        Path config = cluster.agentConfig("a", "fingerprint: " + cluster.fingerprint(), "");
        Files.setPosixFilePermissions(cluster.tokenFile("a"), PosixFilePermissions.fromString("rw-r--r--"));
        ServeProcess shared = ServeProcess.start(config, dir.resolve("a-shared.log"), java.util.Map.of());
        assertTrue(shared.awaitExit() != 0, shared.log());
        assertTrue(shared.log().contains("other users may read or change the token") && shared.log().contains("chmod 600"),
                shared.log());

        cluster.tokenFile("a"); // private again
        ServeProcess twice = ServeProcess.start(config, dir.resolve("a-twice.log"), java.util.Map.of(),
                "--token", cluster.nodeToken("a"));
        assertTrue(twice.awaitExit() != 0, twice.log());
        assertTrue(twice.log().contains("controller.tokenFile") && twice.log().contains("are set"), twice.log());
        assertEquals("[]", send("GET", "/v1/nodes", cluster.token("admin"), null).body(), "neither agent registered");
    }
}
