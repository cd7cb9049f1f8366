package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.app.config.Config;
import dev.berth.app.daemon.Daemon;
import dev.berth.app.daemon.Wiring;
import dev.berth.app.testing.Sys;
import dev.berth.app.testing.TestConfig;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.VolumeRef;
import dev.berth.host.testing.Root;
import dev.berth.protocols.docker.PluginClient;
import dev.berth.protocols.docker.PluginClient.Reply;
import dev.berth.protocols.http.Json;
import io.vertx.core.http.HttpMethod;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small hostile-input fuzzer for the Docker plugin socket and the REST API (local socket), on a
 * real daemon with real loop devices. Every generated request must be refused (see {@link Hostile}):
 * with a 4xx in the protocol's own error shape, never a 5xx, never a hang. After each batch the
 * daemon must still answer, and nothing may have been created, attached or mounted. Bounded in
 * count ({@code berth.fuzz.cases}, default 1,200) and time (2 minutes); the seed
 * ({@code berth.fuzz.seed}) is printed so a failure can be replayed.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class HostileInputFuzzIT {
    private static final long SEED = Long.getLong("berth.fuzz.seed", 20261201L);
    private static final int CASES = Integer.getInteger("berth.fuzz.cases", 1200);
    private static final int BATCH = 100;
    private static final Duration BUDGET = Duration.ofMinutes(2);

    @TempDir
    Path dir;
    Daemon daemon;
    PluginClient rest;
    PluginClient docker;

    @BeforeEach
    void start() throws Exception {
        Root.require();
        Path config = TestConfig.write(dir, "fuzz-node");
        Config cfg = Wiring.configLoader().load(config, Map.of(), Map.of("docker.enabled", "true"));
        daemon = Daemon.start(cfg, Checkpoints.NONE);
        rest = PluginClient.connect(dir.resolve("berth.sock"));
        docker = PluginClient.connect(dir.resolve("docker/berth.sock"));
    }

    @AfterEach
    void stop() {
        for (AutoCloseable c : new AutoCloseable[] {rest, docker}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // closing a client must not hide the test's own failure
            }
        }
        if (daemon != null) {
            daemon.volumes().list(null).forEach(v -> daemon.volumes().remove(new VolumeRef(v.name(), v.service()), true));
            daemon.close();
        }
        Sys.cleanUp(dir);
    }

    @Test
    void everyHostileRequestIsRefusedAndLeavesNothingBehind() throws Exception {
        System.out.println("HostileInputFuzzIT seed " + SEED + " (replay: -Dberth.fuzz.seed=" + SEED + ")");
        Hostile gen = new Hostile(new Random(SEED));
        List<String> failures = new ArrayList<>();
        long deadline = System.nanoTime() + BUDGET.toNanos();
        int sent = 0;
        while (sent < CASES && System.nanoTime() < deadline && failures.size() < 20) {
            for (int i = 0; i < BATCH && sent < CASES; i++, sent++) {
                Hostile.Case c = gen.next();
                Reply r = send(c);
                String problem = judge(c, r);
                if (problem != null) {
                    failures.add("case " + sent + ": " + c + "\n    -> " + r.status() + " " + cut(r.body()) + "\n    " + problem);
                }
            }
            failures.addAll(invariants("after " + sent + " cases"));
        }
        System.out.println("HostileInputFuzzIT sent " + sent + " cases");
        assertEquals(List.of(), failures, "seed " + SEED);
        assertTrue(sent >= Math.min(CASES, 300), "too few cases ran in the time budget: " + sent);
    }

    /** Malformed HTTP straight onto both sockets; the daemon must go on serving. */
    @Test
    void rawBytesDoNotHurtTheDaemon() throws Exception {
        Random rnd = new Random(SEED);
        List<byte[]> payloads = new ArrayList<>(List.of(
                bytes("GET / HTTP/1.1\r\n" + "X-A: b\r\n".repeat(20_000) + "\r\n"),
                bytes("GET /" + "a".repeat(100_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"),
                bytes("POST /v1/volumes HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n{\"name\":"),
                bytes("POST /VolumeDriver.Create HTTP/1.1\r\nHost:\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n"),
                bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
                bytes("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"),
                bytes("GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"),
                bytes("GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
                bytes("\r\n\r\n\r\n"),
                bytes("GET /v1/health\r\n\r\n"),
                bytes("GET /v1/health HTTP/9.9\r\nHost: x\r\n\r\n"),
                bytes("POST /v1/volumes HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n{\"name\":\"../raw\"}")));
        for (int i = 0; i < 30; i++) {
            byte[] junk = new byte[1 + rnd.nextInt(4096)];
            rnd.nextBytes(junk);
            payloads.add(junk);
        }
        List<String> failures = new ArrayList<>();
        for (Path socket : List.of(dir.resolve("berth.sock"), dir.resolve("docker/berth.sock"))) {
            for (byte[] p : payloads) {
                raw(socket, p);
            }
            failures.addAll(invariants("after raw bytes on " + socket.getFileName()));
        }
        assertEquals(List.of(), failures);
    }

    private Reply send(Hostile.Case c) {
        PluginClient client = c.docker() ? docker : rest;
        return client.send(HttpMethod.valueOf(c.method()), c.path(), c.body());
    }

    /** Null when the reply is a proper refusal for this case; else what is wrong with it. */
    private static String judge(Hostile.Case c, Reply r) {
        int s = r.status();
        if (s >= 500 && s != 507) { // 507: out_of_capacity, the protocol's refusal of a size too big
            return "a server error for bad input";
        }
        if (s < 300) {
            return c.mayPass() ? null : "accepted (" + s + ") though it must be refused: " + c.why();
        }
        if (s < 400) {
            return "a redirect or other 3xx";
        }
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(r.body());
        } catch (IOException | RuntimeException e) {
            return "the refusal is not JSON";
        }
        if (body == null) {
            return "the refusal has no body";
        }
        if (c.docker()) {
            return body.path("Err").asText("").isBlank() ? "a Docker refusal without Err" : null;
        }
        JsonNode err = body.path("error");
        if (err.path("code").asText("").isBlank() || err.path("message").asText("").isBlank() || !err.has("hint")) {
            return "a REST refusal without error.code, error.message and error.hint";
        }
        return null;
    }

    /** The daemon answers on both sockets, and no volume, loop device, mount, image or folder was left. */
    private List<String> invariants(String when) throws IOException {
        List<String> out = new ArrayList<>();
        Reply health = rest.send(HttpMethod.GET, "/v1/health", null);
        if (health.status() != 200) {
            out.add(when + ": health answered " + health.status() + " " + cut(health.body()));
        }
        Reply activate = docker.call("/Plugin.Activate", null);
        if (activate.status() != 200) {
            out.add(when + ": Plugin.Activate answered " + activate.status());
        }
        Reply list = rest.send(HttpMethod.GET, "/v1/volumes", null);
        if (list.status() != 200 || !list.body().strip().equals("[]")) {
            out.add(when + ": volumes exist: " + cut(list.body()));
        }
        Reply dockerList = docker.call("/VolumeDriver.List", "{}");
        if (!dockerList.json().path("Volumes").isEmpty()) {
            out.add(when + ": Docker lists volumes: " + cut(dockerList.body()));
        }
        if (!Sys.loopsUnder(dir).isEmpty()) {
            out.add(when + ": loop devices: " + Sys.loopsUnder(dir));
        }
        if (!Sys.mountsUnder(dir).isEmpty()) {
            out.add(when + ": mounts: " + Sys.mountsUnder(dir));
        }
        for (String folder : List.of("pool", "dirs", "volumes")) {
            Path p = dir.resolve(folder);
            if (Files.isDirectory(p)) {
                try (Stream<Path> files = Files.list(p)) {
                    List<Path> left = files.toList();
                    if (!left.isEmpty()) {
                        out.add(when + ": " + folder + " holds " + left);
                    }
                }
            }
        }
        return out;
    }

    /** Writes {@code payload}, reads what comes back for up to two seconds (or until closed), closes. */
    private static void raw(Path socket, byte[] payload) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(payload));
            ch.configureBlocking(false);
            ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < end) {
                in.clear();
                int n = ch.read(in);
                if (n < 0) {
                    break;
                }
                if (n == 0) {
                    Thread.sleep(20);
                }
            }
        } catch (IOException closedByServer) {
            // the server may close on garbage: that is the point
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String cut(String s) {
        return s == null ? "null" : s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
