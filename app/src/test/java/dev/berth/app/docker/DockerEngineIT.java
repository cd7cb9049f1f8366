package dev.berth.app.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.berth.app.config.Config;
import dev.berth.app.config.Keys;
import dev.berth.app.daemon.Wiring;
import dev.berth.app.testing.DockerCli;
import dev.berth.core.spi.ContainerRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer stopper against the real dockerd (e2e/docker/up.sh): a container with a bind mount
 * under the volume's mount point is killed, one with another mount is not.
 */
class DockerEngineIT {
    private static final Duration T = Duration.ofSeconds(60);
    @TempDir
    Path dir;
    private final String tag = UUID.randomUUID().toString().substring(0, 8);
    private DockerCli docker;

    @AfterEach
    void removeContainers() {
        if (docker != null) {
            docker.run(T, "rm", "-f", "berth-kill-a-" + tag, "berth-kill-b-" + tag);
        }
    }

    private String run(String name, Path source) {
        return docker.ok(T, "run", "-d", "--network", "none", "--name", name, "-v", source + ":/data",
                "local/busybox:latest", "sleep", "600").strip();
    }

    private boolean running(String name) {
        return docker.ok(T, "inspect", "-f", "{{.State.Running}}", name).strip().equals("true");
    }

    @Test
    void killsOnlyTheContainersUsingTheMount() throws Exception {
        docker = DockerCli.require();
        Path volume = Files.createDirectories(dir.resolve("volume"));
        Path data = Files.createDirectories(volume.resolve("data"));
        Path other = Files.createDirectories(dir.resolve("volume-other"));
        String a = run("berth-kill-a-" + tag, data);
        run("berth-kill-b-" + tag, other);
        ContainerRuntime engine = Wiring.containerRuntime(config(Map.of()));
        try {
            assertEquals(List.of("berth-kill-a-" + tag + " (" + a.substring(0, 12) + ")"), engine.killUsing(volume, null));
            assertEquals(false, running("berth-kill-a-" + tag));
            assertEquals(true, running("berth-kill-b-" + tag), "another mount (a sibling with the same prefix) is left alone");
            assertEquals(List.of(), engine.killUsing(volume, null), "nothing running uses it any more");
        } finally {
            ((AutoCloseable) engine).close();
        }
    }

    @Test
    void anEmptySocketMeansNoDocker() {
        assertSame(ContainerRuntime.NONE, Wiring.containerRuntime(config(Map.of(Keys.DOCKER_ENGINE_SOCKET.env(), ""))));
        assertEquals(List.of(), ContainerRuntime.NONE.killUsing(dir, null));
    }

    private static Config config(Map<String, String> values) {
        return Wiring.configLoader().load(null, values, Map.of());
    }
}
