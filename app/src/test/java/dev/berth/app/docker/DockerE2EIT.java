package dev.berth.app.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.app.testing.Cli;
import dev.berth.app.testing.DockerCli;
import dev.berth.host.testing.Root;
import dev.berth.app.testing.ServeProcess;
import dev.berth.app.testing.Sys;
import dev.berth.app.testing.TestConfig;
import dev.berth.protocols.http.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Berth as the volume driver of a REAL dockerd (started by e2e/docker/up.sh), driven through the
 * real docker CLI. Berth serves the default plugin socket /run/docker/plugins/berth.sock with its
 * pool, state and mount root in a temporary folder. Volumes and containers are removed before
 * Berth stops: a dead plugin makes dockerd wait through its retries.
 *
 * <p>README's "Docker" quick start runs these same commands.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class DockerE2EIT {
    private static final Path PLUGIN_SOCKET = Path.of("/run/docker/plugins/berth.sock");
    private static final Duration T = Duration.ofMinutes(2);
    private static final String IMAGE = "local/busybox";
    private static final String NODE = "e2e-node";

    @TempDir
    Path dir;
    DockerCli docker;
    Path config;
    Cli berth;
    ServeProcess serve;
    int serves;
    final List<String> containers = new ArrayList<>();
    final List<String> volumes = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        Root.require();
        docker = DockerCli.require();
        assertTrue(docker.run(T, "image", "inspect", IMAGE).ok(), IMAGE + " is missing: run e2e/docker/up.sh");
        config = TestConfig.write(dir, NODE);
        berth = new Cli(config);
        startBerth();
        removeLeftovers();
    }

    private void startBerth() throws Exception {
        serves++;
        serve = ServeProcess.start(config, dir.resolve("serve" + serves + ".log"), Map.of("BERTH_DOCKER_ENABLED", "true"),
                "--docker-socket", PLUGIN_SOCKET.toString());
        serve.awaitReady(PLUGIN_SOCKET, Duration.ofSeconds(60));
        // The CLI below talks to the local socket, which Berth serves last (after the plugin socket).
        serve.awaitReady(dir.resolve("berth.sock"), Duration.ofSeconds(60));
    }

    /** Volumes a crashed earlier run left in dockerd's list (Remove of an unknown name succeeds). */
    private void removeLeftovers() {
        for (String v : docker.ok(T, "volume", "ls", "-q", "--filter", "driver=berth").lines().toList()) {
            for (String c : docker.ok(T, "ps", "-aq", "--filter", "volume=" + v).lines().toList()) {
                docker.run(T, "rm", "-f", c);
            }
            docker.run(T, "volume", "rm", "-f", v);
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            if (docker != null && serve != null) {
                for (String c : containers) {
                    docker.run(T, "rm", "-f", c);
                }
                for (String v : volumes) {
                    docker.run(T, "volume", "rm", "-f", v);
                }
            }
        } finally {
            if (serve != null) {
                serve.terminate();
            }
            if (Root.isRoot()) {
                Sys.cleanUp(dir);
            }
        }
    }

    @Test
    void containersShareAVolumeAcrossABerthRestart() throws Exception {
        String v = name("vol");
        Path data = dir.resolve("volumes").resolve(v).resolve("data");

        // docker volume create -d berth -o size=1G v
        volumes.add(v);
        assertEquals(v, docker.ok(T, "volume", "create", "-d", "berth", "-o", "size=1G", v).strip());
        assertEquals(1L << 30, inspect(v).path("sizeBytes").asLong());

        // One container writes, a second one reads; between them the volume is fully released.
        docker.ok(T, "run", "--rm", "--network", "none", "-v", v + ":/data", IMAGE,
                "sh", "-c", "echo hello > /data/greeting");
        eventually(() -> Sys.loopsUnder(dir).isEmpty(), "the last Unmount detaches the loop device");
        assertEquals("available", inspect(v).path("status").asText());
        assertEquals("hello\n", docker.ok(T, "run", "--rm", "--network", "none",
                "-v", v + ":/data", IMAGE, "cat", "/data/greeting"));

        // Two containers at once: one attach, one mount, two mount references (one per container).
        String writer = name("writer");
        String reader = name("reader");
        containers.add(writer);
        containers.add(reader);
        docker.ok(T, "run", "-d", "--name", writer, "--network", "none", "-v", v + ":/data", IMAGE,
                "sh", "-c", "i=0; while true; do i=$((i+1)); echo $i >> /data/counter; sleep 0.05; done");
        docker.ok(T, "run", "-d", "--name", reader, "--network", "none", "-v", v + ":/data", IMAGE,
                "sh", "-c", "while true; do sleep 1; done");
        assertEquals(2, inspect(v).path("mountRefs").size(), inspect(v).toString());
        assertEquals(1, Sys.loopsUnder(dir.resolve("pool")).size(), "one loop device for both containers");
        assertEquals(List.of(dir.resolve("volumes").resolve(v).toString()), Sys.mountsUnder(dir));
        eventually(() -> !docker.run(T, "exec", reader, "cat", "/data/counter").stdout().isBlank(),
                "the reader sees the writer's file");

        // docker volume inspect shows Berth's status.
        JsonNode shown = Json.MAPPER.readTree(docker.ok(T, "volume", "inspect", v)).get(0);
        assertEquals("berth", shown.path("Driver").asText());
        assertEquals("global", shown.path("Scope").asText());
        assertEquals(data.toString(), shown.path("Mountpoint").asText());
        JsonNode status = shown.path("Status");
        assertEquals("local", status.path("service").asText(), shown.toString());
        assertEquals("1G", status.path("size").asText());
        assertEquals("ext4", status.path("fsType").asText());
        assertEquals("mounted", status.path("status").asText());
        assertEquals(NODE, status.path("node").asText());
        assertTrue(status.path("device").asText().startsWith("/dev/loop"), status.toString());
        assertEquals(2, status.path("mountRefs").asInt());
        assertFalse(status.path("created").asText().isEmpty(), status.toString());

        // Berth restarts while the containers run; the writer keeps writing all along.
        int beforeStop = lines(data.resolve("counter"));
        assertEquals(143, serve.terminate(), "SIGTERM ends the JVM with 128+15");
        assertFalse(Files.exists(PLUGIN_SOCKET), "Berth removes its socket when it stops");
        Thread.sleep(1000);
        int whileDown = lines(data.resolve("counter"));
        assertTrue(whileDown > beforeStop, "the container wrote while Berth was down: " + beforeStop + " -> " + whileDown);
        startBerth();
        assertEquals(2, inspect(v).path("mountRefs").size(), "counts survive the restart: " + serve.log());
        assertEquals("true", docker.ok(T, "inspect", "-f", "{{.State.Running}}", writer).strip());

        // Stopping the containers: the first leaves the mount, the last unmounts and detaches.
        docker.ok(T, "rm", "-f", writer);
        assertEquals(1, inspect(v).path("mountRefs").size());
        assertEquals(1, Sys.mountsUnder(dir).size(), "the reader still uses it");
        docker.ok(T, "rm", "-f", reader);
        containers.clear();
        eventually(() -> Sys.mountsUnder(dir).isEmpty() && Sys.loopsUnder(dir).isEmpty(),
                "the last Unmount after the restart unmounts and detaches");
        assertEquals("available", inspect(v).path("status").asText());

        // The data: 1, 2, 3, … without a gap, longer than what was seen while Berth was down.
        List<Integer> counter = docker.ok(T, "run", "--rm", "--network", "none", "-v", v + ":/data", IMAGE,
                "cat", "/data/counter").lines().map(Integer::parseInt).toList();
        assertTrue(counter.size() > whileDown, counter.size() + " <= " + whileDown);
        for (int i = 0; i < counter.size(); i++) {
            assertEquals(i + 1, counter.get(i), "line " + (i + 1));
        }

        // docker volume rm removes it from Berth: backing file gone, no loop device.
        eventually(() -> Sys.loopsUnder(dir).isEmpty(), "the reading container's Unmount detached");
        docker.ok(T, "volume", "rm", v);
        volumes.remove(v);
        assertEquals(3, berth.run("volume", "inspect", v).code(), "gone from Berth");
        assertEquals(List.of(), Sys.loopsUnder(dir));
        try (Stream<Path> files = Files.list(dir.resolve("pool"))) {
            assertEquals(0, files.count(), "the backing file is removed");
        }
    }

    @Test
    void dockerShowsBerthsMessageForBadOptions() throws Exception {
        String bad = name("bad");
        volumes.add(bad);
        DockerCli.Out size = docker.run(T, "volume", "create", "-d", "berth", "-o", "size=abc", bad);
        assertFalse(size.ok(), size.toString());
        assertTrue(size.stderr().contains("VolumeDriver.Create: size 'abc' is not a size "
                + "(write a size like 512M, 1G or 10GiB"), size.stderr());

        DockerCli.Out unknown = docker.run(T, "volume", "create", "-d", "berth", "-o", "sise=1G", bad);
        assertFalse(unknown.ok(), unknown.toString());
        assertTrue(unknown.stderr().contains("unknown option 'sise' (valid options: size"), unknown.stderr());

        assertFalse(docker.ok(T, "volume", "ls", "-q").lines().toList().contains(bad), "docker has no such volume");
        assertEquals(3, berth.run("volume", "inspect", bad).code(), "nor has Berth");
    }

    // ---- helpers --------------------------------------------------------------------------------

    private JsonNode inspect(String volume) throws IOException {
        Cli.Result r = berth.run("volume", "inspect", volume, "-o", "json");
        assertEquals(0, r.code(), r.toString());
        return Json.MAPPER.readTree(r.out());
    }

    private static String name(String what) {
        return "berth-e2e-" + what + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6);
    }

    private static int lines(Path file) throws IOException {
        return Files.readAllLines(file).size();
    }

    /** dockerd calls Unmount while it removes a container; give it a moment before looking. */
    private static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            Thread.sleep(50);
        }
    }
}
